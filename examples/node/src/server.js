// Entry point. `--version` prints the version; `--selftest` serves on loopback, requests
// / and /healthz, prints the replies and exits (checks the image runs with no network).
const http = require("node:http");
const { createServer, VERSION } = require("./app");

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      })
      .on("error", reject);
  });
}

async function selftest() {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  for (const path of ["/", "/healthz"]) {
    const { status, body } = await get(port, path);
    process.stdout.write(`GET ${path} -> ${status} ${body}`);
  }
  server.close();
}

const args = process.argv.slice(2);
if (args.includes("--version")) {
  console.log(`hello-node ${VERSION}`);
} else if (args.includes("--selftest")) {
  selftest().catch((err) => {
    console.error(`selftest: ${err.message}`);
    process.exit(1);
  });
} else {
  const port = Number(process.env.PORT || 3000);
  createServer().listen(port, () => console.log(`hello-node ${VERSION} listening on ${port}`));
}
