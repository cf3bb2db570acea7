-- A small shop: the example data set scripts/demo loads into its throw-away Postgres.
CREATE TABLE products (
  id         bigint PRIMARY KEY,
  name       text NOT NULL,
  price      numeric(10, 2) NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id         bigint PRIMARY KEY,
  product_id bigint NOT NULL REFERENCES products (id),
  quantity   integer NOT NULL CHECK (quantity > 0),
  status     text NOT NULL DEFAULT 'new',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_updated_at_id ON orders (updated_at, id);

INSERT INTO products (id, name, price) VALUES
  (1, 'espresso beans 1kg', 24.90),
  (2, 'pour-over kettle', 49.00),
  (3, 'ceramic dripper', 19.50),
  (4, 'paper filters (100)', 4.20);

-- 200 orders spread over the last few hours, some sharing a timestamp on purpose.
INSERT INTO orders (id, product_id, quantity, status, created_at, updated_at)
SELECT n,
       1 + n % 4,
       1 + n % 3,
       (ARRAY['new', 'paid', 'shipped'])[1 + n % 3],
       now() - make_interval(mins => 200 - n),
       now() - make_interval(mins => (200 - n) / 2 * 2)
FROM generate_series(1, 200) AS n;
