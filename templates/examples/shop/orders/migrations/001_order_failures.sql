-- Why an order saga was rejected, written by the step that said no and read
-- by the compensation that cancels the order (which runs last, after every
-- other compensation). Orders themselves are event-sourced (msx_events).
CREATE TABLE order_failures (
  order_id text PRIMARY KEY,
  reason   text NOT NULL,
  status   integer NOT NULL
);
