-- This install's own id, made at the first start of `loket serve` with [redis] (see
-- `Store.install_id`): Socket.IO emits through Redis go out on a channel named after it, so
-- two installs never receive each other's, whatever Redis database they are given.
CREATE TABLE install (id TEXT NOT NULL);
