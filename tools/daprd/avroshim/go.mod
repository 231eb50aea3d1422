// Stands in for github.com/iskorotkov/avro/v2, which the Go module proxy here refuses to serve.
// Dapr 1.18.3 imports it in one place only (cmd/daprd/components/pubsub_pulsar.go) to set
// allocation limits on avro decoding for the Pulsar pub/sub component, which Strata does not use.
module github.com/iskorotkov/avro/v2

go 1.26
