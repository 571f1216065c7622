"""The Kafka clients people run (kafka-python, never Faust): the console, the simulator, scenarios, topic
administration, `tail`, and the messages and listings the CLI builds."""
