/** The place-agent command as a child process: hil/agent-cli.ts, shared with the place demos. */
export * from '../../hil/agent-cli.ts';
