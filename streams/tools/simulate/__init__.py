"""`citygate simulate`: a pure, seeded model of the city's traffic, and the runner that puts it on Kafka."""
