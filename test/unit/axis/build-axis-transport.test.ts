import { expect } from 'chai';
import { AmqpAxisTransport } from '../../../src/axis/amqp-axis-transport.ts';
import { buildAxisTransport } from '../../../src/axis/build-axis-transport.ts';
import { InProcessAxisTransport } from '../../../src/axis/in-process-axis-transport.ts';
import { loadConfig } from '../../../src/config/load.ts';

describe('buildAxisTransport', () => {
  it('uses the in-process axis by default and RabbitMQ when AXIS_URL is set, with the configured topology', () => {
    const embedded = loadConfig({ configDir: 'config', env: {} });
    expect(buildAxisTransport(embedded.axis, { dataDir: '/tmp/edoc-unused', hostedOrganIds: [] })).to.be.instanceOf(InProcessAxisTransport);
    const deployed = loadConfig({ configDir: 'config', env: { AXIS_URL: 'amqp://guest:guest@127.0.0.1:5672' } });
    const transport = buildAxisTransport(deployed.axis, { dataDir: '/tmp/edoc-unused', hostedOrganIds: ['000.00.13.H53'] });
    expect(transport).to.be.instanceOf(AmqpAxisTransport);
    const topology = (transport as AmqpAxisTransport).topology;
    expect(topology.exchange).to.equal('edoc.axis.packages');
    expect(topology.inboxQueue('000.00.13.H53')).to.equal('edoc.axis.inbox.000.00.13.H53');
    expect(topology.inboxArguments()).to.deep.include({ 'x-queue-type': 'quorum', 'x-delivery-limit': 5, 'x-dead-letter-exchange': 'edoc.axis.dead-letter' });
  });
});
