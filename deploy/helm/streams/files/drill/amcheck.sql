-- The drill's check of the restored copy's pages, as `slipway drill` does on one machine: data checksums on, every
-- valid B-tree index consistent with its table (bt_index_check with heapallindexed) and every table without
-- corruption (verify_heapam). Run by psql with ON_ERROR_STOP as the superuser of the copy; any finding raises.
DO $$
BEGIN
  IF current_setting('data_checksums') <> 'on' THEN
    RAISE EXCEPTION 'data checksums are off: damaged pages would go unnoticed';
  END IF;
  RAISE NOTICE 'amcheck: data checksums on';
END
$$;

CREATE EXTENSION IF NOT EXISTS amcheck;

DO $$
DECLARE
  index_name regclass;
  checked integer := 0;
  broken integer := 0;
BEGIN
  FOR index_name IN
    SELECT c.oid::regclass FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am am ON am.oid = c.relam
     WHERE am.amname = 'btree' AND c.relpersistence <> 't' AND i.indisvalid
  LOOP
    BEGIN
      PERFORM bt_index_check(index_name, true);
      checked := checked + 1;
    EXCEPTION WHEN OTHERS THEN
      broken := broken + 1;
      RAISE WARNING 'index %: %', index_name, SQLERRM;
    END;
  END LOOP;
  IF broken > 0 THEN
    RAISE EXCEPTION 'amcheck: % of % B-tree indexes are corrupt', broken, checked + broken;
  END IF;
  RAISE NOTICE 'amcheck: % B-tree indexes consistent with their tables', checked;
END
$$;

DO $$
DECLARE
  table_name regclass;
  problem record;
  checked integer := 0;
  broken integer := 0;
BEGIN
  FOR table_name IN
    SELECT oid::regclass FROM pg_class WHERE relkind IN ('r', 'm', 't') AND relpersistence <> 't'
  LOOP
    checked := checked + 1;
    FOR problem IN SELECT msg FROM verify_heapam(table_name) LIMIT 3 LOOP
      broken := broken + 1;
      RAISE WARNING 'table %: %', table_name, problem.msg;
    END LOOP;
  END LOOP;
  IF broken > 0 THEN
    RAISE EXCEPTION 'amcheck: % corruption findings in % tables', broken, checked;
  END IF;
  RAISE NOTICE 'amcheck: % tables without corruption', checked;
END
$$;
