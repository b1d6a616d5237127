const test = require("node:test");
const assert = require("node:assert");
const http = require("node:http");
const { createServer } = require("../src/app");

test("GET /healthz answers ok", async () => {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const body = await new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: server.address().port, path: "/healthz" }, (res) => {
        let data = "";
        res.on("data", (chunk) => (data += chunk));
        res.on("end", () => resolve(data));
      })
      .on("error", reject);
  });
  server.close();
  assert.strictEqual(body, "ok\n");
});
