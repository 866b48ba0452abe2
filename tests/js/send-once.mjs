// Run as a child process by fetch-adapter.test.mjs: one send through the built DM package
// (CONNECTOR, its lib/index.js URL) to a local server answering at once, with CONFIG (JSON);
// prints what the send resolved to, and exits when nothing is left to wait for.
import http from 'node:http';

const { default: createConnector } = await import(process.env.CONNECTOR);

const answer = JSON.stringify({ EnvId: process.env.ENV_ID, RequestId: process.env.REQUEST_ID });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const endpoint = `http://127.0.0.1:${server.address().port}/`;
const config = { ...JSON.parse(process.env.CONFIG), endpoint };
const connector = await createConnector({ getConfig: async () => config });
const sent = await connector.sendMessage({
  to: 'user@example.com',
  type: 'SignIn',
  payload: { code: '1' },
});
server.close();
console.log(JSON.stringify(sent));
