import Postgres
public enum TestSupportModule {}
