/**
 * What `place-agent verify --broker` and `authority revoke --broker` say when the broker cannot
 * be reached: the error's text, or its code when the text is empty, never an empty reason.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { failureText } from '../../agent/cli/errors.ts';
import { freePort } from '../../hil/ports.ts';

/** Connects to a closed loopback port through a name with two addresses, as a dual-stack `localhost` has. */
function refusedAtEveryAddress(port: number): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = connect({
      host: 'dual.test',
      port,
      autoSelectFamily: true,
      lookup: (_host, _options, done) => done(null, [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.2', family: 4 }]),
    });
    socket.on('error', resolve);
  });
}

describe('failureText', () => {
  it('names ECONNREFUSED when Node reports a refusal at every address with no message', async () => {
    const e = await refusedAtEveryAddress(await freePort());
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as Error).message).toBe('');
    expect(failureText(e, 'connection failed')).toBe('ECONNREFUSED');
  });

  it("gives an error's message, and the fallback for a thrown value with neither message nor code", () => {
    expect(failureText(new Error('connect ECONNREFUSED 127.0.0.1:1'), 'connection failed')).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(failureText('no', 'connection failed')).toBe('connection failed');
    expect(failureText(null, 'connection failed')).toBe('connection failed');
    expect(failureText(new Error(''), 'connection failed')).toBe('connection failed');
  });
});
