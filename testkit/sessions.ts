import { loginCookie, openCustomerSocket, openTechnicianSocket, type RunningServer } from './server.ts';

/** One whole support session by `email` (an existing account): code, customer, start, an event, end. */
export async function runSession(server: RunningServer, password: string, email: string, detail: string): Promise<string> {
  const technician = await openTechnicianSocket(server, await loginCookie(server, email, password));
  await technician.next('welcome');
  technician.send({ type: 'session.create', id: 'c' });
  const { session } = await technician.next('session.created');
  const customer = await openCustomerSocket(server);
  customer.send({ type: 'code.submit', id: 's', code: session.code, client: 'browser' });
  await customer.next('code.accepted');
  technician.send({ type: 'session.activate', id: 'a', sessionId: session.sessionId });
  await technician.next('session.activated');
  technician.send({ type: 'session.event', id: 'ev', sessionId: session.sessionId, event: 'file.sent', detail });
  technician.send({ type: 'session.end', id: 'e', sessionId: session.sessionId });
  // The activation was answered by session.activated (it carries the ref): the event and the end are acked.
  for (let acks = 0; acks < 2; ) if ((await technician.next('ack')).ref) acks++;
  technician.close();
  customer.close();
  return session.sessionId;
}
