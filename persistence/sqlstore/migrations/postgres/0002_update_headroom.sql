-- Version 2 (PostgreSQL): room on every page of the two tables that each
-- result updates in place, ratings and wallets, so that most updates are
-- HOT (the new row version stays on its page and no index entry is added;
-- measured in BenchmarkFlush). It applies to pages written from now on: to
-- spread the rows of an existing large table, rewrite it (VACUUM FULL, or
-- pg_repack online) at a quiet time.
ALTER TABLE ratings SET (fillfactor = 70);
ALTER TABLE wallets SET (fillfactor = 70);
