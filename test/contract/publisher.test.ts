import { MqttPublisher } from '../../agent/transport/mqtt-publisher.ts';
import { ThreadedPublisher } from '../../agent/transport/threaded-publisher.ts';
import { publisherContract } from './publisher.contract.ts';

publisherContract('MqttPublisher (calling thread)', (store, o) => new MqttPublisher(store, o));
publisherContract('ThreadedPublisher (worker thread)', (store, o) => new ThreadedPublisher(store, o));
