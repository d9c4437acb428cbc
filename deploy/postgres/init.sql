-- One database per service: no service reads another's tables (docker-compose.yml mounts this).
CREATE DATABASE registry;
CREATE DATABASE matching;
CREATE DATABASE notify;
CREATE DATABASE gateway;
