import { busContract } from './contract.js';
import { rabbitFixture } from './rabbitmq.js';

busContract('RabbitMQ (amqplib)', rabbitFixture);
