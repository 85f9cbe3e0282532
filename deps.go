package main

import (
	_ "codeberg.org/sbinet/npyio"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/viterin/vek/vek32"
	_ "go.etcd.io/bbolt"
	_ "gonum.org/v1/plot"
)

func main() {}
