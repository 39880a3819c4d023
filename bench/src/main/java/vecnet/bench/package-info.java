package vecnet.bench;
