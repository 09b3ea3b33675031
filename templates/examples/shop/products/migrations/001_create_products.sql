-- stock is what is still for sale; reserved is held by orders in flight;
-- sold left both. initial_stock = stock + reserved + sold, always.
CREATE TABLE products (
  id            uuid        PRIMARY KEY,
  name          text        NOT NULL,
  price         integer     NOT NULL CHECK (price >= 0),
  stock         integer     NOT NULL CHECK (stock >= 0),
  reserved      integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold          integer     NOT NULL DEFAULT 0 CHECK (sold >= 0),
  initial_stock integer     NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (initial_stock = stock + reserved + sold)
);

-- One row per order and product. The order id makes reserving idempotent:
-- a retried reservation finds its rows and answers the same.
CREATE TABLE reservations (
  order_id   text    NOT NULL,
  product_id uuid    NOT NULL REFERENCES products (id),
  quantity   integer NOT NULL CHECK (quantity > 0),
  price      integer NOT NULL,
  status     text    NOT NULL CHECK (status IN ('held', 'sold', 'released')),
  PRIMARY KEY (order_id, product_id)
);
