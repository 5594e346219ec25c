// The demo's web app: reads its Redis password and API key from files (the *_FILE convention),
// authenticates to Redis on every request, and reports what it could do. It never prints a
// secret's value; it reports a short digest of the API key so a rotation can be seen.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";

const readSecret = (variable) => readFileSync(process.env[variable]);

/** Sends RESP commands to Redis and resolves with the raw replies. */
function redis(commands) {
  return new Promise((resolve, reject) => {
    const socket = connect(6379, process.env.REDIS_HOST);
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk;
      if (reply.split("\r\n").length > commands.length) socket.end();
    });
    socket.on("end", () => resolve(reply.split("\r\n").filter(Boolean)));
    socket.on("error", reject);
    for (const args of commands) {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
    }
  });
}

createServer(async (request, response) => {
  try {
    // Read on every request: a rotated secret is used at once, without a restart.
    // Like the official images' *_FILE handling (`$(cat file)`), a trailing newline is not part of it.
    const password = readSecret("REDIS_PASSWORD_FILE").toString().replace(/\r?\n$/, "");
    const [auth, visits] = await redis([["AUTH", password], ["INCR", "visits"]]);
    const keyDigest = createHash("sha256").update(readSecret("API_KEY_FILE")).digest("hex").slice(0, 12);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ authenticated: auth === "+OK", visits: Number(visits?.slice(1)), apiKeyDigest: keyDigest }) + "\n");
  } catch (error) {
    response.writeHead(500);
    response.end(`${error.message}\n`);
  }
}).listen(8080, () => {
  // A careless log line, as real apps have: `composec logs` masks the secret in it.
  console.log(`app listening on :8080 (redis password: ${readSecret("REDIS_PASSWORD_FILE")})`);
});
