"""Analysis: coded quotes out of the database (``retrieval``), and pure functions over them -
crosstabs with tests (``crosstab``), counts and matrices (``counts``), co-occurrence, and
inter-coder agreement (``agreement``)."""
