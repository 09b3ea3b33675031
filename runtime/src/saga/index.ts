/**
 * `@msx/runtime/saga`: a durable saga orchestrator whose log lives in the
 * orchestrating service's database.
 *
 *   const sagas = await SagaOrchestrator.create({ db, sagas: [orderSaga], registry, logger: service.log });
 *   void sagas.resume();                                  // at start-up: finish what a crash left
 *   service.onClose('sagas', () => sagas.stop());
 *   const outcome = await sagas.start(orderSaga, { userId, items }, { id: orderId });
 *   if (outcome.status === 'compensated') res.status(outcome.failure?.status ?? 409) …
 */
export { defineSaga, type RetrySettings, type SagaDefinition, type SagaStep, type StepContext } from './saga-definition.js';
export { SagaOrchestrator, type OrchestratorOptions, type SagaLogger, type SagaOutcome } from './orchestrator.js';
export type { SagaFailure, SagaStatus } from './saga-log.js';
export { StepRejectedError, isStepRejection } from './errors/step-rejected-error.js';
export { SagaError, isSagaError, type SagaErrorCode } from './errors/saga-error.js';
