// Run as an unprivileged user by publish.test.ts: tries to publish port 81 and prints the refusal.
import { publishTcp } from '../../src/net/publish.ts';
import { UserNet, NET_PLAN } from '../../src/net/user-net.ts';
import { nodeOutside } from '../../src/net/node-outside.ts';

const net = new UserNet(nodeOutside());
try {
  const { server } = await publishTcp(net, { hostAddress: '127.0.0.1', hostPort: 81, guestIp: NET_PLAN.guest, guestPort: 80 });
  server.close();
  console.log('published');
} catch (e) {
  console.log((e as Error).message);
}
net.close();
