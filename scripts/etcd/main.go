// etcd for verify:cluster's local Kubernetes, built from the etcd server module (lib/verify/cluster/tools.ts).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
