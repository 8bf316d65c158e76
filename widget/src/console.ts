/** The agent console at /console/: mounts into #loket-console. */
import { ConsoleApp } from "./console/app";

const mountPoint = document.getElementById("loket-console");
if (mountPoint) void new ConsoleApp(mountPoint).start();
