"""A webshop lexicon: words shoppers use for the same thing, mapped to one concept.

Shoppers ask in their own words: "cancelen" where the FAQ says "annuleren", "smashed"
where it says "damaged", "in delen betalen" where it says "in termijnen". Before matching,
the FAQ's text and the shopper's question are both normalised, and every word or phrase
of the lexicon becomes its concept token ("~cancel", "~damaged"), so all of them match
each other. The lexicon is written from general webshop vocabulary, in Dutch, English,
German and French (and the English words Dutch, German and French shoppers use), not from
any one shop's FAQ.

Each concept lists words and phrases per language: "nl", "en", "de", "fr", or "*" for names
that are the same in all of them (brands). Words are reduced to stems with the language's
stemmer, so one form of a word covers its other forms ("annuleren" covers "annuleer",
"geannuleerd"). A phrase is several words ("geld terug", "send back"); up to two common
words may stand between its words ("in drie termijnen" is not, "in de termijnen" is "in
termijnen"). "..." lets up to four words of any kind stand there, for separable verbs
("stuur ... terug" matches "stuur ik het pakket terug"), and "=laat" is that word as
written, not its stem (so "te =laat" is not "te laten"). The FAQ entries of a language are
matched with that language's words (and the "*" names) only: a word of another language,
stemmed as if it were of this one, can collide with a word it has nothing to do with.

Keep concepts narrow. Two entries a shop keeps apart (returning an item, getting the
money back) need two concepts, or the bot can no longer tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# The first character of a concept token; words never start with it.
CONCEPT_MARK = "~"

# concept -> language ("nl", "en", "*" for both) -> words and phrases, separated by "|".
CONCEPTS: Mapping[str, Mapping[str, str]] = {
    # Ordering and the order itself.
    "cancel": {
        "nl": "annuleren | annulering | afzeggen | zeg ... af | cancelen | cancellen | afzien | "
        "intrekken | ongedaan maken | terugdraaien",
        "en": "cancel | cancellation | call ... off | revoke | undo",
        "de": "stornieren | stornierung | storno | storniert | annullieren | rückgängig machen | "
        "canceln | gecancelt",
        "fr": "annuler | annulation | l'annulation | d'annulation | annulé | annulée | annulez | "
        "annulons | annulable | l'annuler | j'annule",
    },
    "order": {
        "nl": "bestelling | bestellen | order | orderen | aankoop",
        "en": "order | purchase",
        "de": "bestellung | bestellen | bestellt | auftrag | order",
        "fr": "commande | commander | commandée | commandez | cmd | cde",
    },
    "buy": {
        "nl": "kopen | koop | gekocht | aanschaffen | aanschaf",
        "en": "buy | bought",
        "de": "kaufen | kauf | gekauft | erwerben | anschaffen",
        "fr": "acheter | achète | achetée | achetez | achetons | j'achète | l'acheter | procurer",
    },
    "change": {
        "nl": "wijzigen | wijziging | veranderen | aanpassen | aanpassing | bewerken",
        "en": "change | modify | modification | edit | amend | alter | update",
        "de": "ändern | änderung | abändern | geändert | anpassen | korrigieren | bearbeiten",
        "fr": "modifier | modification | modifié | modifiée | modifiez | modif | changer | "
        "changement | changé | changée | changez | corriger | rectifier | mettre à jour | "
        "mise à jour",
    },
    "confirmation": {
        "nl": "bevestiging | bevestigen",
        "en": "confirmation | confirm | confirmed",
        "de": "bestätigung | bestätigen | bestätigt",
        "fr": "confirmation | confirmer | confirmé | confirmée | confirmez | accusé de réception | "
        "d'accusé de réception",
    },
    "preorder": {
        "nl": "voorbestellen | voorbestelling | reserveren | reservering | pre order",
        "en": "preorder | pre order | reserve | reservation",
        "de": "vorbestellen | vorbestellung | reservieren | reservierung",
        "fr": "précommande | précommander | précommandée | pré commande | pré commander | "
        "réserver | réservation | réservée | réservez",
    },
    "backorder": {
        "nl": "nabestellen | nabestelling | backorder | back order",
        "en": "backorder | back order | backordered",
        "de": "nachbestellen | nachbestellung",
        "fr": "réapprovisionnement | réapprovisionner | réapprovisionné | réapprovisionnée | "
        "réappro | réassort | reliquat",
    },
    # Delivery.
    "deliver": {
        "nl": "bezorgen | bezorging | leveren | levering | verzenden | verzending | "
        "versturen | opsturen | afleveren | aflevering | shippen | porto",
        "en": "deliver | delivery | ship | shipping | dispatch | dispatched | post out | postage",
        "de": "liefern | lieferung | geliefert | versand | versandt | versenden | versendet | "
        "verschicken | verschickt | zustellen | zustellung | zuschicken | zusenden",
        "fr": "livraison | livrer | livrez | livrons | livrent | livrée | expédition | expédier | "
        "expédié | expédiée | expédiez | expédions | l'expédition | d'expédition | envoi | "
        "l'envoi | d'envoi | de + port",
    },
    "parcel": {
        "nl": "pakket | pakje | zending | doos | collo | colli",
        "en": "parcel | package | box | packet",
        "de": "paket | päckchen | sendung | karton | packerl | packl | päckli",
        "fr": "colis | paquet | carton",
    },
    "courier": {
        "nl": "bezorger | koerier | postbode | chauffeur | besteller",
        "en": "courier | driver | delivery driver | postman | mailman | delivery man",
        "de": "bote | kurier | paketbote | =fahrer | postbote | lieferant",
        "fr": "livreur | livreuse | facteur | factrice | coursier | chauffeur | postier",
    },
    "carrier": {
        "nl": "vervoerder | transporteur | pakketdienst | post nl",
        "en": "carrier | shipping company | delivery company | delivery service",
        "*": "postnl | dhl | dpd | ups | gls | bpost | fedex | budbee | homerr",
        "de": "spedition | versanddienstleister | paketdienst | transportunternehmen | hermes",
        "fr": "transporteur | société de transport | société de livraison | la poste | colissimo | "
        "chronopost | mondial relay | relais colis | colis privé | tnt",
    },
    "pickup": {
        "nl": "afhalen | ophalen | haal ... op | haal ... af | afhaalpunt | ophaalpunt | "
        "pakketpunt | servicepunt | pakketautomaat | pakketkluis | afhaallocatie",
        "en": "pick ... up | pickup | collect | collection point | pickup point | parcel shop | "
        "parcel point | service point | parcel locker | click and collect",
        "de": "abholen | abholung | abgeholt | hol ... ab | selbst abholen | abholstation | "
        "packstation | paketshop | abholpunkt | click and collect",
        "fr": "retrait | retirer | récupérer | point relais | point retrait | point de retrait | "
        "relais | venir chercher | passer chercher | aller chercher | enlèvement | "
        "click and collect | click collect | drive | locker | casier | consigne automatique",
    },
    "address": {
        "nl": "adres | adressen",
        "en": "address | addresses",
        "de": "adresse | adressen | anschrift",
        "fr": "adresse | l'adresse | d'adresse",
    },
    "abroad": {
        "nl": "buitenland | buitenlands | internationaal | wereldwijd | buiten nederland",
        "en": "abroad | international | internationally | overseas | worldwide | "
        "outside the netherlands | other countries",
        "de": "ausland | international | weltweit | außerhalb deutschlands | andere länder",
        "fr": "étranger | l'étranger | international | internationale | internationaux | "
        "l'international | hors france | hors belgique | hors suisse | hors ue | hors europe | "
        "monde entier | partout dans le monde | autres pays",
    },
    # Countries by name, and the words for a country: "do you ship to Germany" is a question
    # for the entry that says which countries are delivered to.
    "country": {
        "nl": "land | landen | nederland | belgie | duitsland | frankrijk | luxemburg | "
        "oostenrijk | zwitserland | spanje | portugal | italie | griekenland | engeland | "
        "groot brittannie | verenigd koninkrijk | ierland | denemarken | zweden | noorwegen | "
        "finland | polen | tsjechie | hongarije | amerika | verenigde staten | canada | "
        "australie | nieuw zeeland | japan",
        "en": "country | countries | netherlands | holland | belgium | germany | france | "
        "luxembourg | austria | switzerland | spain | portugal | italy | greece | "
        "united kingdom | great britain | england | scotland | wales | ireland | denmark | "
        "sweden | norway | finland | poland | czechia | czech republic | hungary | "
        "united states | the us | america | canada | australia | "
        "new zealand | japan",
        "*": "usa",
        "de": "land | länder | ländern | deutschland | österreich | schweiz | niederlande | "
        "holland | belgien | frankreich | luxemburg | spanien | portugal | italien | "
        "griechenland | england | großbritannien | irland | dänemark | schweden | norwegen | "
        "finnland | polen | tschechien | ungarn | amerika | kanada",
        "fr": "pays | france | belgique | allemagne | pays-bas | hollande | luxembourg | "
        "autriche | suisse | espagne | portugal | italie | grèce | royaume-uni | grande-bretagne | "
        "angleterre | écosse | pays de galles | irlande | danemark | suède | norvège | finlande | "
        "pologne | tchéquie | république tchèque | hongrie | états-unis | amérique | canada | "
        "québec | australie | nouvelle-zélande | japon | monaco | en + =corse | la + =corse | "
        "dom-tom | domtom | outre-mer",
    },
    "arrive": {
        "nl": "aankomen | aangekomen | arriveren | binnenkomen | ontvangen | ontvangst | "
        "krijgen | gekregen",
        "en": "arrive | arrival | receive | received | come in | turn up | show up",
        "de": "ankommen | angekommen | ankunft | kommt ... an | erhalten | empfangen | eintreffen",
        "fr": "arrive | arrivée | arrivent | arrivera | arriveront | recevoir | reçu | "
        "reçue | reçois | reçoit | recevez | recevrai | recevrez | recevra | réception | "
        "réceptionner | réceptionné | réceptionnée | colis + =narrive/narrivent | "
        "paquet + =narrive/narrivent | commande + =narrive/narrivent | "
        "livraison + =narrive/narrivent",
    },
    "late": {
        "nl": "vertraagd | vertraging | te =laat | uitgesteld",
        "en": "delayed | delay | late | overdue | too late | running late",
        "de": "verspätet | verspätung | verzögert | verzögerung | zu =spät | überfällig",
        "fr": "retard | retardé | retardée | retarder | trop tard | délai dépassé",
    },
    "missing": {
        "nl": "kwijt | verloren | vermist | zoekgeraakt | ontbreken | ontbreekt | missen | =mist",
        "en": "lost | missing | misplaced | gone missing",
        "de": "verloren | verloren gegangen | fehlt | fehlen | fehlend | vermisst | verschwunden",
        "fr": "perdu | perdue | égaré | égarée | manquant | manquante | manque | disparu | "
        "disparue | introuvable",
    },
    "not-home": {
        "nl": "niet thuis | afwezig | niet aanwezig | =gemist | =gemiste | niemand thuis | "
        "niet opendoet | niet open doet | niet opendoen | doet ... niet open",
        "en": "not home | not at home | away from home | =missed | nobody home | no one home | "
        "nobody is home | no one is home | nobody in | no one in | not answer the door",
        "de": "nicht zu hause | nicht zuhause | abwesend | =verpasst | niemand zu hause | "
        "niemand da | nicht aufmacht | nicht öffnet | macht ... nicht auf",
        "fr": "absent | absente | absence | l'absence | d'absence | pas chez moi | "
        "pas à la maison | personne à la maison | personne chez moi | raté | loupé | "
        "avis de passage",
    },
    # Signing for a parcel: "sign" alone would otherwise be taken for the start of "signin".
    "signature": {
        "nl": "handtekening | tekenen voor | aftekenen",
        "en": "sign for | signed for | signature | signing for",
        "de": "unterschrift | unterschreiben | quittieren",
        "fr": "signature | signer | signé | signée | contre signature",
    },
    "neighbours": {
        "nl": "buren | buurman | buurvrouw",
        "en": "neighbour | neighbor | neighbours | neighbors | next door",
        "de": "nachbar | nachbarn | nachbarin",
        "fr": "voisin | voisine | voisinage",
    },
    "tracking": {
        "nl": "track en trace | track trace | tracken | volgen | tracking",
        "en": "track and trace | track | tracking | trace",
        "de": "sendungsverfolgung | sendungsnummer | trackingnummer | verfolgen | nachverfolgen | "
        "tracken | tracking",
        # In a shop's chat "suivre" is following a parcel ("suivre les instructions" is
        # rarer, and a phrase would take the parcel's own word with it).
        "fr": "suivi | suivre | numéro de suivi | tracking | track and trace",
    },
    "damaged": {
        "nl": "kapot | beschadigd | beschadiging | schade | =stuk | gebroken | gescheurd | "
        "ingedeukt | deuk | gebarsten | barst | in stukken | kapotgegaan",
        "en": "broken | broke | damaged | damage | smashed | cracked | shattered | dented | "
        "torn | busted | in pieces | crushed | snapped",
        "de": "kaputt | beschädigt | beschädigung | schaden | transportschaden | zerbrochen | "
        "gebrochen | gerissen | zerkratzt | kratzer | delle | eingedrückt | zerdrückt | "
        "gesprungen | ausgelaufen",
        "fr": "abîmé | abîmée | endommagé | endommagée | cassé | cassée | brisé | brisée | dégât | "
        "fissuré | fissurée | fissure | fêlé | fêlée | écrasé | écrasée | "
        "déchiré | déchirée | cabossé | cabossée | tordu | tordue | en morceaux | pété | pétée",
    },
    "defect": {
        "nl": "defect | stuk gegaan | stukgegaan | doet het niet meer | storing | mankement",
        "en": "defect | defective | faulty | malfunction | stopped working | broke down",
        "de": "defekt | funktioniert nicht mehr | geht nicht mehr | kaputt gegangen | mangel | "
        "mangelhaft | fehlerhaft",
        "fr": "défectueux | défectueuse | un + =défaut | =défauts | défaut de fabrication | "
        "défaut de conformité | panne | dysfonctionnement | marche plus | fonctionne plus | "
        "s'allume plus | s'allume pas | hors service | hs | vice caché",
    },
    "wrong": {
        "nl": "verkeerd | verkeerde | onjuist | fout | niet juist",
        "en": "wrong | incorrect | not what i ordered",
        "de": "falsch | verkehrt | nicht richtig",
        "fr": "mauvais | mauvaise | erroné | erronée | incorrect | incorrecte | faux | fausse | "
        "pas + la + =bonne | par erreur | pas ce que ... commandé | correspond pas | trompé | "
        "trompée",
    },
    # Returns and money back: two concepts, because shops answer them apart.
    "return": {
        "nl": "retour | retourneren | retournering | terugsturen | terugzenden | terugbrengen | "
        "stuur ... terug | zend ... terug | breng ... terug | terug sturen | terug brengen",
        "en": "return | returns | send ... back | sent ... back | bring ... back | take ... back",
        "de": "retoure | retournieren | rücksendung | zurücksenden | zurückschicken | "
        "zurückgeben | rückgabe | zurückbringen | zurückgeschickt | zurückgesendet | "
        "zurückgegeben | schick ... zurück | sende ... zurück | gebe ... zurück | "
        "bringe ... zurück",
        "fr": "retour | retourner | retourné | retournée | retournez | renvoyer | renvoyé | "
        "renvoyée | renvoie | renvoyez | renvoi | rendre | rapporter | rétractation | rétracter",
    },
    "refund": {
        "nl": "terugbetaling | terugbetalen | terugstorten | terugstorting | geld ... terug | "
        "betaal ... terug | stort ... terug | restitutie | crediteren | creditering",
        "en": "refund | refunded | reimburse | reimbursement | money back | repay | "
        "pay ... back | paid ... back",
        "de": "erstattung | erstatten | erstattet | rückerstattung | zurückerstatten | "
        "zurückerstattet | rückzahlung | zurückzahlen | geld ... zurück | zahlt ... zurück | "
        "gutschrift",
        "fr": "remboursement | rembourser | remboursé | remboursée | remboursez | remboursera | "
        "remboursable | créditer | crédité | créditée | recréditer | recrédité | recréditée | "
        "récupérer ... argent | récupère ... argent | rendre ... l'argent",
    },
    "exchange": {
        "nl": "ruilen | omruilen | omwisselen | ruil ... om | inruilen",
        "en": "exchange | swap | switch for | trade for",
        "de": "umtauschen | umtausch | umgetauscht | tauschen | getauscht | eintauschen | "
        "tausch ... um | austauschen",
        "fr": "échanger | échange | l'échange | d'échange | échangée | échangez | échangeable",
    },
    "size": {
        "nl": "maat | maten | maatje | te klein | te groot | past niet",
        "en": "size | sizes | too small | too big | too large | not fit",
        "de": "größe | größen | zu klein | zu groß | passt nicht",
        "fr": "taille | pointure | trop petit | trop petite | trop grand | trop grande | "
        "trop large | trop serré | trop serrée | me va pas",
    },
    "colour": {
        "nl": "kleur | kleuren",
        "en": "colour | color | colours | colors",
        "de": "farbe | farben",
        "fr": "couleur | coloris | teinte",
    },
    # Paying.
    "pay": {
        "nl": "betalen | betaling | afrekenen | afrekening | betaalwijze | rembours",
        "en": "pay | payment | paid | checkout | check out | cash on delivery",
        "de": "bezahlen | zahlen | zahlung | bezahlung | bezahlt | zahlungsart | "
        "zahlungsmethode | kasse | nachnahme",
        "fr": "payer | paiement | payement | payé | payée | payez | payons | paie | régler | "
        "règlement | contre remboursement | paiement + à + la + livraison",
    },
    "pay-later": {
        "nl": "achteraf betalen | achteraf | gespreid betalen | gespreid | in termijnen | "
        "in delen | in gedeelten | later betalen",
        "en": "pay later | pay afterwards | installments | instalments | split payment | "
        "split the payment | buy now pay later | pay in parts | payment plan | finance | financing",
        "*": "klarna | afterpay | riverty | billink | in3",
        "de": "später bezahlen | später zahlen | nachträglich bezahlen | kauf auf rechnung | "
        "auf rechnung | rechnungskauf",
        "fr": "payer plus tard | paiement différé | payer en différé | payer après réception | "
        "paiement après réception | payer après livraison | payer sur facture | "
        "paiement sur facture",
    },
    # Paying in instalments, kept apart from paying later (by invoice) where a shop's FAQ
    # keeps them apart: German shops answer "Ratenkauf" and "Kauf auf Rechnung" separately,
    # French ones "paiement en plusieurs fois" (in 3x, 4x) and "paiement différé".
    "instalments": {
        "de": "ratenzahlung | ratenkauf | in raten | finanzierung | finanzieren | teilzahlung | "
        "abbezahlen | abstottern",
        "fr": "en plusieurs fois | en + fois | en + =deux/trois/quatre/dix + fois | "
        "en + =2x/3x/4x/10x | paiement fractionné | fractionner | paiement échelonné | "
        "échelonner | échelonné | mensualité | facilités de paiement | financement | financer | "
        "alma | oney | floa | cofidis",
    },
    "credit-card": {
        "nl": "creditcard | credit card | kredietkaart",
        "en": "credit card | creditcard",
        "*": "visa | mastercard | amex | american express",
        "de": "kreditkarte | kreditkarten",
        "fr": "carte de crédit | carte bancaire | carte bleue | carte de banque | cb",
    },
    "option": {
        "nl": "methode | mogelijkheid | mogelijkheden | optie | manier | wijze",
        "en": "method | option | way | possibility",
        "de": "möglichkeit | möglichkeiten | option | optionen | methode | methoden",
        "fr": "moyen | méthode | option | possibilité | façon | manière | mode + =de/des/du",
    },
    "invoice": {
        "nl": "factuur | facturen | kassabon | bonnetje | aankoopbewijs | betaalbewijs | "
        "nota | bon",
        "en": "invoice | receipt | bill | proof of purchase",
        "de": "rechnung | rechnungen | quittung | beleg | kassenbon | kaufbeleg | kaufnachweis",
        # French "reçu" is mostly received ("je n'ai pas reçu mon colis"): a receipt only
        # after a word that makes it a noun ("un reçu", "pas de reçu").
        "fr": "facture | facturation | ticket de caisse | preuve d'achat | justificatif | "
        "duplicata | un + =reçu | d'un + =reçu | de + =reçu | le + =reçu | du + =reçu | "
        "mon + =reçu | votre + =reçu",
    },
    "failed": {
        "nl": "mislukt | mislukken | lukt niet | gaat mis | ging mis | niet gelukt | "
        "foutmelding | error | werkt niet | doet het niet | niet geaccepteerd | "
        "ongeldig | niet geldig | geweigerd",
        "en": "failed | fail | fails | failure | error | not work | went wrong | "
        "goes wrong | declined | not accepted | invalid | rejected | not go through",
        "de": "fehlgeschlagen | fehlermeldung | funktioniert nicht | klappt nicht | geht nicht | "
        "abgelehnt | ungültig | nicht akzeptiert",
        # "Je n'arrive pas à payer" is "lukt niet" (a parcel that "n'arrive pas" is in
        # "arrive"); "à" is a single letter, left out.
        "fr": "échec | échoué | échouée | erreur | l'erreur | d'erreur | refusé | refusée | "
        "rejeté | rejetée | invalide | pas valide | non valide | pas accepté | pas acceptée | "
        "non accepté | marche pas | fonctionne pas | passe pas | n'arrive pas | n'arrive plus | "
        "j'arrive pas | parviens pas | impossible | bug | bugue | beug",
    },
    "discount": {
        "nl": "korting | actie | promotie | aanbieding | coupon",
        "en": "discount | promo | promotion | coupon",
        "de": "rabatt | rabattcode | aktionscode | aktion | sale | coupon",
        "fr": "réduction | remise | code promo | promotion | promo | coupon | réduc | rabais | "
        "ristourne | =soldes | en + =solde",
    },
    "gift-card": {
        "nl": "cadeaubon | cadeaukaart | cadeau kaart | cadeau bon | giftcard | waardebon | "
        "tegoedbon | kadobon | kadokaart",
        "en": "gift card | giftcard | gift voucher | gift certificate | egift card | egift voucher",
        "de": "gutschein | gutscheine | geschenkgutschein | geschenkkarte | wertgutschein",
        "fr": "carte cadeau | bon cadeau | chèque cadeau | bon d'achat | e-carte cadeau",
    },
    "free": {
        "nl": "gratis | kosteloos | zonder kosten",
        "en": "free | free of charge | for free | no charge | no cost",
        "de": "kostenlos | gratis | umsonst | kostenfrei | ohne kosten",
        "fr": "gratuit | gratuite | gratuitement | gratuité | gratos | offert | offerte | "
        "sans frais",
    },
    "cost": {
        "nl": "kosten | kost | prijs | tarief",
        "en": "cost | costs | price | fee | how much",
        "de": "kosten | kostet | preis | preise | gebühr | gebühren | wie =teuer",
        "fr": "coût | coûte | coûter | coûtent | prix | frais | tarif | payant | payante | "
        "trop cher | plus cher | moins cher | c'est combien | ça fait combien | combien + pour",
    },
    # Subscriptions (coffee, food, flowers, lenses delivered again and again) and pausing
    # one: shops answer "how does it work", "pause it" and "end it" apart.
    "subscription": {
        "nl": "abonnement | abonnementen | abo | abbo | abonnee | geabonneerd",
        "en": "subscription | subscriptions | subscribe | subscribed | subscriber",
        "de": "abo | abonnement | abonnements | abonniert | abonnieren",
        "fr": "abonnement | l'abonnement | d'abonnement | abonner | abonné | abonnée | m'abonner | "
        "s'abonner | abo | souscrire | souscription",
    },
    "pause": {
        "nl": "pauzeren | pauze | gepauzeerd | stilzetten | stil zetten | stilleggen | "
        "tijdelijk stoppen | on hold",
        "en": "pause | paused | pausing | on hold | put ... on hold | suspend | suspended",
        "de": "pausieren | pausiert | pause | aussetzen | unterbrechen | ruhen lassen",
        "fr": "pause | interrompre | suspendre + =mon/ma/mes/votre/vos/temporairement",
    },
    # Stock and products.
    "stock": {
        "nl": "voorraad | leverbaar | beschikbaar | verkrijgbaar | uitverkocht | "
        "nog te =krijgen | weer te =krijgen | in =het ... te =krijgen | ergens te =krijgen | "
        "is =dit/deze/die/dat ... te =krijgen | zijn =deze/die/ze ... te =krijgen",
        "en": "stock | available | availability | unavailable | sold out",
        "de": "auf lager | vorrätig | lagernd | verfügbar | verfügbarkeit | ausverkauft | "
        "lieferbar",
        "fr": "en stock | stock | rupture de stock | rupture | disponible | disponibilité | "
        "dispo | indisponible | indispo | épuisé | épuisée",
    },
    "notify": {
        "nl": "seintje | notificatie | laten weten | laat ... weten | op de hoogte houden",
        "en": "notify | notification | alert | let know | keep posted",
        "de": "benachrichtigung | benachrichtigen | benachrichtigt | bescheid geben | "
        "bescheid sagen",
        "fr": "notification | notifier | prévenir | prévenez | prévenu | prévenue | préviens | "
        "prévient | avertir | avertissez | averti | avertie | m'avertir | alerte | alerter | "
        "m'alerter | tenir au courant | tenez au courant | tiens au courant | tenir informé | "
        "tenez informé",
    },
    "item": {
        # "Stuk" is also a piece: "50 stuks", "de prijs per stuk" (a broken one is "=stuk"
        # in "damaged").
        "nl": "artikel | product | item | spullen | ding | dingen | goederen | per =stuk",
        "en": "item | product | article | goods",
        "de": "artikel | produkt | produkte | sachen",
        "fr": "article | l'article | d'article | produit | marchandise | objet | l'objet",
    },
    "manual": {
        "nl": "handleiding | gebruiksaanwijzing | instructies | instructie",
        "en": "manual | instructions | instruction | user guide",
        "de": "anleitung | bedienungsanleitung | aufbauanleitung | gebrauchsanweisung",
        "fr": "mode d'emploi | notice | manuel | instructions | instruction | "
        "guide d'utilisation | guide utilisateur | tutoriel | tuto",
    },
    # Warranty and repair.
    "warranty": {
        "nl": "garantie | waarborg",
        "en": "warranty | guarantee | guaranty",
        "de": "garantie | gewährleistung",
        "fr": "garantie | garanti",
    },
    # Putting something together or in place, by the shop or by the shopper. Not installing
    # (an app is installed too: "install"), nor "Aufbau" (the build of a frame) or "put
    # together" (a quote).
    "assembly": {
        "nl": "montage | monteren | gemonteerd",
        "en": "assembly | assemble | assembled | mounting",
        "de": "montage | montieren | montiert | einbau | einbauen | eingebaut | aufbauen | "
        "aufgebaut",
        "fr": "montage | monté | montée | assemblage | l'assemblage | d'assemblage | "
        "assembler | assemblé | assemblée | prémonté | prémontée",
    },
    # Installing: a lamp by the electrician, an app by the shopper. English "install" only
    # as written (its stem is that of "instalments").
    "install": {
        "nl": "installeren | installatie | geïnstalleerd | installeer",
        "en": "=install | =installs | =installed | =installing | =installation",
        "de": "installation | installieren | installiert",
        "fr": "installation | l'installation | d'installation | installer | l'installer | "
        "installé | installée | installez | installateur | raccordement | raccorder",
    },
    "repair": {
        "nl": "reparatie | repareren | herstellen | herstel",
        "en": "repair | repaired | fix | mend",
        "de": "reparatur | reparieren | repariert | ausbessern",
        "fr": "réparation | réparer | réparé | réparée | réparez | réparable | dépannage | "
        "dépanner | remise en état | remettre en état",
    },
    # Age: an age check (alcohol, tobacco, knives), what age a product suits. A number
    # with the words of an age around it ("ab 18", "ik ben 17", "18 years old") is read as
    # the language's word for age (see `normalize._AGE_WORD`). Not "how old", "wie alt":
    # as often the age of a thing (beans, tyres) as of a person; not the German "Alter",
    # which is the adjective "alter" ("ein alter Jahrgang") too.
    "age": {
        "nl": "leeftijd | leeftijden | leeftijdscontrole | leeftijdsgrens | leeftijdscheck | "
        "oud genoeg | minderjarig | minderjarige | meerderjarig | meerderjarige",
        "en": "=age | =ages | age check | age verification | old enough | underage | "
        "under =age | minimum =age",
        "de": "altersprüfung | altersverifikation | alterskontrolle | altersgrenze | "
        "mindestalter | alt genug | volljährig | volljährige | minderjährig | minderjährige",
        "fr": "âge | l'âge | majeur | majeure | mineur | mineure | majorité",
    },
    # Account and personal data.
    "personal-data": {
        "nl": "gegevens | persoonsgegevens | privacy | data",
        "en": "data | personal data | personal details | personal information | privacy",
        "de": "daten | persönliche daten | datenschutz | privatsphäre",
        "fr": "données | données personnelles | coordonnées | vie privée | confidentialité | "
        "rgpd | "
        "informations personnelles | infos personnelles | infos perso",
    },
    "delete": {
        "nl": "verwijderen | wissen | opheffen",
        "en": "delete | remove | erase",
        "de": "löschen | entfernen | gelöscht",
        "fr": "supprimer | suppression | supprimé | supprimée | supprimez | effacer | effacé | "
        "effacée | enlever | clôturer",
    },
    "account": {
        "nl": "account | profiel",
        "en": "account | profile",
        "de": "konto | kundenkonto | benutzerkonto | account | profil",
        "fr": "compte | profil | espace client | espace personnel | espace membre | mon espace",
    },
    "register": {
        "nl": "registreren | registratie",
        "en": "register | registration | sign ... up | signup",
        "de": "registrieren | registrierung | registriert | konto erstellen | konto anlegen",
        "fr": "inscription | l'inscription | d'inscription | inscrire | m'inscrire | s'inscrire | "
        "m'inscris | créer ... compte | création ... compte | "
        "ouvrir ... compte",
    },
    "login": {
        "nl": "inloggen | login | log ... in | ingelogd | inlog",
        "en": "login | log in | logged in | sign in | signin | logon | log on",
        "de": "einloggen | login | eingeloggt | anmelden | log ... ein | melde ... an",
        "fr": "connexion | me + =connecter/connecte | se + =connecter/connecte | "
        "vous + =connecter/connectez | identifiant | l'identifiant | identification | "
        "m'identifier | s'identifier | login",
    },
    "password": {
        "nl": "wachtwoord | wachtwoorden",
        "en": "password | passwords | passcode | passwd",
        "de": "passwort | passwörter | kennwort | pw",
        "fr": "mot de passe | mots de passe | mdp",
    },
    "forgot": {
        "nl": "vergeten | vergat | weet niet meer",
        "en": "forgot | forgotten | forget | not remember",
        "de": "vergessen | vergaß | weiß nicht mehr",
        "fr": "oublié | oubliée | oublier | j'oublie | oubli | d'oubli | souviens plus | "
        "souvient plus | rappelle plus",
    },
    "email": {
        "nl": "email | mail | mailtje | mailen | gemaild | mailbox | inbox",
        "en": "email | mail | emailed | mailbox | inbox",
        "de": "email | mail | mails | mailadresse | posteingang",
        "fr": "mail | e-mail | email | l'email | courriel | courrier électronique | "
        "boîte de réception",
    },
    "newsletter": {
        "nl": "nieuwsbrief | nieuwsbrieven | reclame | spam | marketing",
        "en": "newsletter | newsletters | mailing list | marketing | spam",
        "de": "newsletter | werbung | werbemail | werbemails | werbe mails | spam | marketing",
        "fr": "newsletter | lettre d'information | lettre d'info | infolettre | publicité | pub | "
        "pubs | spam | marketing",
    },
    "unsubscribe": {
        "nl": "afmelden | meld ... af | uitschrijven | schrijf ... uit | opzeggen | zeg ... op | "
        "opzegging | stopzetten | zet ... stop | afmelding",
        "en": "unsubscribe | opt out | stop receiving | remove me | "
        "stop sending ... =emails/mails/newsletters/spam",
        "de": "abmelden | abmeldung | abgemeldet | abbestellen | austragen | melde ... ab | "
        "trage ... aus | kündigen",
        "fr": "désabonner | désabonné | désabonnée | désabonnement | désinscrire | "
        "désinscription | désinscrit | désinscrite | résilier | résiliation | résilié | résiliée | "
        "ne plus recevoir ... =mails/emails/newsletter/newsletters/pub/publicités",
    },
    # Service.
    "reply": {
        "nl": "antwoord | beantwoorden | reageren | reactie | terughoren",
        "en": "reply | answer | respond | response | hear back | get back to",
        "de": "antwort | antworten | beantworten | rückmeldung | reaktion",
        "fr": "réponse | répondre | répond | répondez | répondu | revenir vers | revenez vers | "
        "reviens vers",
    },
    "contact": {
        "nl": "contact | contacteren | bereiken | bereikbaar | in contact komen",
        "en": "contact | reach | get in touch | get hold of | reachable",
        "de": "kontakt | kontaktieren | erreichen | erreichbar | in verbindung setzen",
        "fr": "contacter | contact | contactez | contacté | contactée | joindre | joignable | "
        "injoignable",
    },
    "phone": {
        "nl": "bellen | telefoon | telefonisch | opbellen | bel ... op",
        "en": "call | phone | telephone | ring",
        "de": "anrufen | telefon | telefonisch | telefonnummer | rufe ... an | hotline",
        "fr": "téléphone | téléphoner | téléphonique | appeler | appelle | appelez | appelé | "
        "appel | rappeler | rappelez | coup de fil | hotline",
    },
    "customer-service": {
        "nl": "klantenservice | klantendienst | helpdesk | servicedesk",
        "en": "customer service | customer support | support | helpdesk | help desk | "
        "customer care",
        "de": "kundenservice | kundendienst | support | kundensupport",
        "fr": "service client | service clientèle | service consommateurs | relation client | "
        "sav | service après-vente | assistance | support client | support technique",
    },
    "human": {
        "nl": "medewerker | =mens | persoon | echt iemand | echt persoon | werknemer",
        "en": "human | person | agent | representative | employee | real person | staff",
        "de": "mitarbeiter | echter mensch | echte person | ansprechpartner | berater",
        "fr": "un conseiller | une conseillère | conseillère | humain | vraie personne | "
        "personne réelle | employé | "
        "employée | agent | opérateur | opératrice | interlocuteur",
    },
    "complaint": {
        "nl": "klacht | klagen | ontevreden | niet tevreden | teleurgesteld",
        "en": "complaint | complain | unhappy | dissatisfied | not satisfied | disappointed",
        "de": "beschwerde | beschweren | unzufrieden | enttäuscht | nicht zufrieden",
        "fr": "réclamation | réclamer | plainte | plaindre | mécontent | mécontente | "
        "insatisfait | insatisfaite | pas content | pas contente | pas satisfait | "
        "pas satisfaite | déçu | déçue | déception | décevant | décevante",
    },
    "store": {
        "nl": "winkel | fysieke winkel | showroom | filiaal | vestiging",
        # "store" is also to keep ("how should I store the chocolate?"): the shop only
        # as a noun after a word that says so, as written ("stored" is no shop); single
        # letters are no words ("have a store" is "have store").
        "en": "shop | showroom | branch | =stores | your + =store | the + =store | "
        "have + =store | there + =store | in + =store | our + =store | this + =store | "
        "=physical + =store | =local + =store | =flagship + =store | =retail + =store | "
        "=nearest + =store | "
        "=store + =location/locations/address/hours/opening/near",
        "de": "ladengeschäft | im laden | geschäft | filiale | showroom | ausstellungsraum | "
        "ausstellung",
        "fr": "magasin | boutique physique | en boutique | votre boutique | la boutique | "
        "point de vente | showroom | succursale",
    },
    # When the shop (or its customer service) is open, in words that say so (the phrases
    # with days and times are added below, from `_OPEN_WHEN`): "open" alone is not enough,
    # an opened bottle or parcel is no opening hour.
    "opening-hours": {
        "nl": "openingstijden | openingstijd | openingsuren | zijn jullie =open/gesloten | "
        "zijn jullie nu =open/gesloten | is =de/jullie winkel =open/gesloten | "
        "hoe =laat ... =open | wanneer zijn jullie =open | we zijn =open | wij zijn =open",
        "en": "opening hours | opening times | business hours | are you =open/closed | "
        "are you guys =open/closed | what time do you =open/close/shut | what time are you =open | "
        "what time does =the/your =shop/store =open/close/shut | when are you =open | "
        "when do you =open/close/shut | is =the/your =shop/store =open/closed | "
        "we =are/re =open | you =are =open | youre =open/closed",
        "de": "öffnungszeiten | öffnungszeit | wann habt ihr =offen/geöffnet | "
        "wann haben sie =offen/geöffnet | wann seid ihr =da | "
        "hat =der/euer/ihr laden =offen/geöffnet | ist =der/euer/ihr laden =offen/geöffnet | "
        "hat die filiale =offen/geöffnet | ist die filiale =offen/geöffnet | "
        "hat die filiale in ... =offen/geöffnet | wann hat =offen/geöffnet",
        "fr": "horaires d'ouverture | heures d'ouverture | jours d'ouverture | =horaires | "
        "êtes-vous =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées | "
        "vous êtes =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées | "
        "vous + =ouvrez/fermez + quelle + heure | vous + =ouvrez/fermez | "
        "=ouvrez + vous + quelle + heure | =ouvrez + vous | "
        "=fermez + vous + quelle + heure | =fermez + vous | "
        "quelle heure ... =ouvrez/fermez/ouvre/ferme/ouvrent/ferment/ouvert/ouverte/ouverts | "
        "quel heure ... =ouvrez/fermez/ouvre/ferme/ouvrent/ferment/ouvert/ouverte/ouverts | "
        "magasin est =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées | "
        "boutique est =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées | "
        "ouvert + =jusqua + quelle + heure | ouvert + =jusqua | ouverte + =jusqua | "
        "ouvert ... =férié/fériés | ouverte ... =férié/fériés | fermé ... =férié/fériés | "
        "fermée ... =férié/fériés",
    },
    # Time.
    "duration": {
        "nl": "hoe lang | hoelang | hoeveel dagen | hoeveel tijd | binnen hoeveel | hoe snel",
        "en": "how long | how many days | how much time | within how many | how fast | "
        "how quickly | how soon",
        "de": "wie lange | wie lang | wie viele tage | wie viel zeit | wie schnell",
        "fr": "combien de temps | combien de jours | combien de semaines | délai | durée | "
        "durer | longtemps",
    },
    "next-day": {
        "nl": "=morgen | volgende dag | volgende werkdag | dag erna | dag daarna",
        "en": "tomorrow | next day | next working day | next business day | overnight",
        "de": "nächsten tag | nächster tag | folgetag | nächsten werktag | über nacht",
        # "24h" only as a delivery time ("livré en 24h"): "24h/24" is no next day.
        "fr": "demain | lendemain | jour suivant | jour ouvré suivant | jour ouvrable suivant | "
        "en + =24h",
    },
    "time-of-day": {
        "nl": "hoe =laat | welk tijdstip | tijdstip | tijdvak | tijdslot",
        "en": "what time | which time | time slot | timeslot",
        "de": "uhrzeit | wie viel uhr | zeitfenster | lieferfenster",
        "fr": "quelle heure | quel heure | créneau | créneau horaire | plage horaire | "
        "tranche horaire | horaire | horaires de livraison | heure de passage | "
        "horaire de passage | l'heure + de",
    },
}


# Days and times that may stand in a question about the opening hours ("zijn jullie
# zondag open", "habt ihr samstags geöffnet", "open on saturday?"), the phrases that take
# them, and those that start with them ("zondag open?"); the short ones, with "+", only as
# words next to each other ("can I open it today" is no opening hour): the concept's
# phrases with "..." would take any words there ("zijn jullie pakketten altijd open", "habt
# ihr die Packung geöffnet").
_OPEN_WHEN = {
    "nl": (
        "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag maandags dinsdags "
        "woensdags donderdags vrijdags zaterdags zondags vandaag morgen vanavond weekend "
        "feestdagen feestdag kerst kerstvakantie pasen paasmaandag pinksteren koningsdag",
        "zijn jullie {} =open/dicht/gesloten | is =de/jullie winkel {} =open/dicht/gesloten | "
        "=open + op + {} | =dicht + op + {} | =gesloten + op + {}",
        "{} + =open/dicht/gesloten",
    ),
    "en": (
        "monday tuesday wednesday thursday friday saturday sunday mondays tuesdays "
        "wednesdays thursdays fridays saturdays sundays today tomorrow tonight weekend "
        "weekends holidays christmas easter",
        "are you {} =open/closed | are you =open/closed {} | are you guys =open/closed {} | "
        "is =the/your =shop/store {} =open/closed | is =the/your =shop/store =open/closed {} | "
        "=open + on + {} | =closed + on + {} | =open + {} | =closed + {}",
        "",
    ),
    "de": (
        "montag dienstag mittwoch donnerstag freitag samstag sonntag montags dienstags "
        "mittwochs donnerstags freitags samstags sonntags heute morgen abends wochenende "
        "feiertag feiertagen feiertags weihnachten ostern",
        "habt ihr {} =offen/geöffnet | haben sie {} =offen/geöffnet | "
        "seid ihr {} =geöffnet | sind sie {} =geöffnet | "
        "hat =der/euer/ihr laden {} =offen/geöffnet | ist =der/euer/ihr laden {} =offen/geöffnet | "
        "am + {} + =offen/geöffnet/geschlossen | =offen + am + {} | =geöffnet + am + {} | "
        "=geschlossen + am + {}",
        "{} + =offen/geöffnet/geschlossen",
    ),
    # French, as folded: "aujourd'hui" is "aujourdhui".
    "fr": (
        "lundi mardi mercredi jeudi vendredi samedi dimanche lundis mardis mercredis jeudis "
        "vendredis samedis dimanches aujourdhui demain soir weekend férié fériés noël pâques",
        "êtes-vous {} =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées | "
        "êtes-vous =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées {} | "
        "vous êtes {} =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées | "
        "vous êtes =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées {} | "
        "ouvert + {} | ouverte + {} | fermé + {} | fermée + {} | ouvert + =le/les/ce + {} | "
        "ouverte + =le/les/ce + {} | fermé + =le/les/ce + {} | fermée + =le/les/ce + {}",
        "{} + =ouvert/ouverte/ouverts/ouvertes/fermé/fermée/fermés/fermées",
    ),
}
_RELATIVE_DAYS = frozenset(
    ["vandaag", "morgen", "vanavond", "today", "tomorrow", "tonight", "heute", "abends"]
) | {"aujourdhui", "demain", "soir"}
CONCEPTS = {
    **CONCEPTS,
    "opening-hours": {
        language: " | ".join(
            [
                CONCEPTS["opening-hours"][language],
                *(
                    phrase.strip().format("=" + "/".join(days.split()))
                    for phrase in phrases.split("|")
                ),
                # A phrase's first word is where it is looked up: one phrase per day; not
                # for "today" and the like, which stand before "open" in other sentences too
                # ("ik heb de doos vandaag open gemaakt").
                *(
                    phrase.strip().format("=" + day)
                    for phrase in first.split("|")
                    if phrase.strip()
                    for day in days.split()
                    if day not in _RELATIVE_DAYS
                ),
            ]
        )
        for language, (days, phrases, first) in _OPEN_WHEN.items()
    },
}


# Concepts that frame almost any webshop question rather than say what it is about:
# "can I buy ...", "my order ...", "this item ...". The matcher weighs them as words
# common in every FAQ, however rarely one small FAQ happens to use them.
GENERIC_CONCEPTS = frozenset(CONCEPT_MARK + name for name in ("buy", "order", "item"))
# Concepts that frame a question without saying what it is about, as question words do:
# "how much is the moon" asks a price, of something the FAQ does not name.
FRAME_CONCEPTS = GENERIC_CONCEPTS | {CONCEPT_MARK + "cost"}


# Names and concepts that say what else a question is about, beside themselves: a way to
# pay is paying ("nehmt ihr Kreditkarte?" asks what "Welche Zahlungsarten gibt es?"
# answers), while the name still tells apart an entry about it ("PayPal-Zahlung
# abgebrochen"). Concept -> language ("*" for all) -> single words, matched as written
# (not by their stem: the Dutch "ideale" is no "iDEAL"), and concepts ("~name") that also
# count as it. Keep them to words that mean nothing else: the Dutch "ideal" is the bank
# payment, the English one an adjective.
IMPLIED: Mapping[str, Mapping[str, str]] = {
    "pay": {
        "*": "~credit-card | paypal | bancontact | giropay | twint | maestro | applepay | "
        "googlepay",
        # "Apple Pay" and "Google Pay": the English "pay" is paying already.
        "nl": "ideal | tikkie | pay",
        "de": "sofortüberweisung | vorkasse | lastschrift | pay",
        # Payconiq is Belgian; a bank transfer ("virement") is a way to pay and nothing else.
        # "Apple Pay" in French is the English "pay", which means nothing else there.
        "fr": "payconiq | virement | virements | pay",
    },
    # A delivery time written as one word asks how long, as "hoe lang duurt de levering"
    # does ("Wat is de levertermijn?"); its parts still say delivery.
    "duration": {
        "nl": "levertijd | levertijden | levertermijn | levertermijnen | leveringstermijn | "
        "leveringstermijnen | leveringstijd | leveringstijden | bezorgtijd | bezorgtijden | "
        "bezorgtermijn | verzendtijd | verzendtijden | verzendtermijn | verzendduur",
    },
}


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The lexicon for one language: its words and phrases as stems, and their concepts.

    `phrases` maps the first key of a phrase to (keys, concept) pairs, longest first. A key
    is a stem, or the folded word for a stop word. `words` maps single stems to concepts.
    `implied` maps a concept, and `implied_words` a word as written (folded), to the
    concept it also counts as (see `IMPLIED`).
    """

    phrases: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    words: Mapping[str, str]
    implied: Mapping[str, str] = field(default_factory=dict)
    implied_words: Mapping[str, str] = field(default_factory=dict)

    def concept(self, term: str) -> str:
        """The concept token of a stem, or the stem itself."""
        return self.words.get(term, term)


def is_concept(term: str) -> bool:
    """Whether `term` is a concept token rather than a stem."""
    return term.startswith(CONCEPT_MARK)


@lru_cache(maxsize=16)
def lexicon_for(language: str, off: frozenset[str] = frozenset()) -> Lexicon:
    """The webshop lexicon without the concepts `off`, stemmed for `language` (empty for
    languages without stemming)."""
    return build_lexicon(
        {k: v for k, v in CONCEPTS.items() if k not in off},
        language,
        {k: v for k, v in IMPLIED.items() if k not in off},
    )


def build_lexicon(
    concepts: Mapping[str, Mapping[str, str]],
    language: str,
    implied_by: Mapping[str, Mapping[str, str]] = IMPLIED,
) -> Lexicon:
    """Stem every word and phrase of `concepts` for `language`, and of `implied_by` (see
    `IMPLIED`)."""
    # Imported here: normalize applies the lexicon, and the lexicon needs its stemmer.
    from loket.bot.normalize import STOP_WORDS, phrase_keys, words

    if language not in STOP_WORDS:
        return Lexicon({}, {})
    grouped: dict[str, dict[tuple[str, ...], str]] = {}
    single: dict[str, str] = {}
    for token, phrase in _listed(concepts, language):
        keys = tuple(phrase_keys(phrase, language))
        if not keys:
            continue
        grouped.setdefault(keys[0], {}).setdefault(keys, token)
        if len(keys) == 1 and keys[0] not in STOP_WORDS[language]:
            single.setdefault(keys[0], token)
    implied: dict[str, str] = {}
    implied_words: dict[str, str] = {}
    for token, listed in _listed(implied_by, language):
        if is_concept(listed):
            implied[listed] = token
            continue
        # Words as written, not stems: the Dutch "ideale" (ideal) stems to "ideal".
        for word in words(listed):
            implied_words[word] = token
    phrases = {
        first: tuple(sorted(options.items(), key=lambda item: -len(item[0])))
        for first, options in grouped.items()
    }
    return Lexicon(phrases, single, implied, implied_words)


def _listed(concepts: Mapping[str, Mapping[str, str]], language: str) -> Iterator[tuple[str, str]]:
    """Each concept's token with each of its words and phrases for `language` (and "*")."""
    for name, by_language in concepts.items():
        token = CONCEPT_MARK + name
        for written_in, text in by_language.items():
            if written_in in (language, "*"):
                for phrase in _split_list(text):
                    yield token, phrase


def _split_list(text: str) -> Sequence[str]:
    return [part.strip() for part in text.split("|") if part.strip()]
