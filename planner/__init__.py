"""planner: plan "double random, one public" (双随机、一公开) market-supervision spot checks."""

__version__ = "0.1.0"
