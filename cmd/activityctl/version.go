package main

import (
	"context"
	"fmt"

	"github.com/activityd/activityd/internal"
)

func runVersion(context.Context, []string) error {
	fmt.Println("activityctl", internal.Version)
	return nil
}
