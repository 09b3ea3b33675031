/**
 * `@msx/runtime/saga`: a durable saga orchestrator whose log lives in the
 * orchestrating service's database.
 *
 *   const sagas = await SagaOrchestrator.create({ db, sagas: [orderSaga], registry, logger: service.log });
 *   void sagas.resume();            // at start-up: finish what a crash left (a sweep keeps doing so while it runs)
 *   service.onClose('sagas', () => sagas.stop());
 *
 *   // The order and the start of its saga commit together; then drive it.
 *   await db.transaction(async (tx) => {
 *     await orders.save(order, { tx });
 *     await sagas.begin(orderSaga, { userId, items }, { tx, id: order.id });
 *   });
 *   const outcome = await sagas.run(order.id);
 *   if (outcome.status === 'compensated') res.status(outcome.failure?.status ?? 409) …
 */
export { defineSaga, type RetrySettings, type SagaDefinition, type SagaStep, type StepContext } from './saga-definition.js';
export { SagaOrchestrator, type OrchestratorOptions, type SagaLogger, type SagaOutcome } from './orchestrator.js';
export type { SagaFailure, SagaStatus } from './saga-log.js';
export { StepRejectedError, isStepRejection } from './errors/step-rejected-error.js';
export { SagaError, isSagaError, type SagaErrorCode } from './errors/saga-error.js';
export { querySagas, type SagaQuery, type SagaState, type SagaStepView, type SagaView } from './saga-query.js';
