-- The shop that examples/ecommerce/config.yaml reads: customers, products, orders and
-- their items, a best-seller view, and some data. Load it into an empty database:
--   createdb shop && psql -d shop -v ON_ERROR_STOP=1 -f examples/ecommerce/schema.sql
-- Every table a task tracks has an index on (tracking column, primary key): each batch of
-- the incremental reader is then a range scan.

CREATE TABLE customers (
  id         bigint PRIMARY KEY,
  email      text NOT NULL UNIQUE,
  name       text NOT NULL,
  tier       text NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'vip')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_updated_at_id ON customers (updated_at, id);

CREATE TABLE products (
  id         bigint PRIMARY KEY,
  sku        text NOT NULL UNIQUE,
  name       text NOT NULL,
  price      numeric(10, 2) NOT NULL CHECK (price >= 0),
  stock      integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_updated_at_id ON products (updated_at, id);

CREATE TABLE orders (
  id           bigint PRIMARY KEY,
  customer_id  bigint NOT NULL REFERENCES customers (id),
  status       text NOT NULL DEFAULT 'new'
                 CHECK (status IN ('new', 'paid', 'shipped', 'delivered', 'cancelled')),
  total_amount numeric(12, 2) NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_created_at_id ON orders (created_at, id);
CREATE INDEX orders_updated_at_id ON orders (updated_at, id);

CREATE TABLE order_items (
  order_id   bigint NOT NULL REFERENCES orders (id),
  product_id bigint NOT NULL REFERENCES products (id),
  quantity   integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(10, 2) NOT NULL,
  PRIMARY KEY (order_id, product_id)
);

-- Units sold per product, for the top_products task. A view has no primary key, so the
-- task names one (primary_key: [product_id]).
CREATE VIEW product_sales AS
SELECT p.id AS product_id,
       coalesce(sum(i.quantity) FILTER (WHERE o.status <> 'cancelled'), 0)::bigint AS units_sold
FROM products p
LEFT JOIN order_items i ON i.product_id = p.id
LEFT JOIN orders o ON o.id = i.order_id
GROUP BY p.id;

-- ---- data --------------------------------------------------------------------------------

INSERT INTO customers (id, email, name, tier) VALUES
  (1, 'ada@example.com', 'Ada Lovelace', 'vip'),
  (2, 'alan@example.com', 'Alan Turing', 'standard'),
  (3, 'grace@example.com', 'Grace Hopper', 'vip'),
  (4, 'edsger@example.com', 'Edsger Dijkstra', 'standard'),
  (5, 'barbara@example.com', 'Barbara Liskov', 'standard');

INSERT INTO products (id, sku, name, price, stock) VALUES
  (1, 'BEAN-1KG', 'espresso beans 1kg', 24.90, 120),
  (2, 'KETTLE-PO', 'pour-over kettle', 49.00, 15),
  (3, 'DRIP-CER', 'ceramic dripper', 19.50, 40),
  (4, 'FILTER-100', 'paper filters (100)', 4.20, 500),
  (5, 'GRIND-HND', 'hand grinder', 89.00, 0);

-- 60 orders over the last hour; several share a created_at on purpose (the incremental
-- reader must not skip rows with equal timestamps).
INSERT INTO orders (id, customer_id, status, total_amount, created_at, updated_at)
SELECT 1000 + n,
       1 + n % 5,
       (ARRAY['new', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + n % 5],
       0,
       now() - make_interval(mins => (60 - n) / 3 * 3),
       now() - make_interval(mins => (60 - n) / 3 * 3)
FROM generate_series(1, 60) AS n;

INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o.id, p.id, 1 + (o.id + p.id) % 3, p.price
FROM orders o
JOIN products p ON p.id IN (1 + o.id % 5, 1 + (o.id + 2) % 5);

UPDATE orders o
SET total_amount = t.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY order_id) t
WHERE t.order_id = o.id;

-- An UPDATE that leaves updated_at alone gets now(), so the tasks tracking updated_at see
-- every change. Created after the data, so the seed keeps its timestamps. (now() is the
-- transaction's start: a long transaction commits rows with an older timestamp than rows
-- already synced -- what a task's `lookback` is for.)
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER products_touch BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
