// The request handler, kept apart from the listener so tests can start it on a free port.
const http = require("node:http");
const ms = require("ms");

const VERSION = require("../package.json").version;
const started = Date.now();

function createServer() {
  return http.createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        hello: "world",
        version: VERSION,
        node: process.version,
        uptime: ms(Date.now() - started),
      }) + "\n",
    );
  });
}

module.exports = { createServer, VERSION };
