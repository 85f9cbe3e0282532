package main
import (
 _ "go.etcd.io/bbolt"
 _ "github.com/viterin/vek/vek32"
 _ "github.com/spf13/cobra"
 _ "github.com/schollz/progressbar/v3"
 _ "gonum.org/v1/plot"
 _ "codeberg.org/sbinet/npyio"
)
func main(){}
