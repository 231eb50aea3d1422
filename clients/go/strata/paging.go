package strata

import (
	"context"
	"iter"
)

// PageFunc fetches the page at cursor (nil for the first) and gives its items and the next cursor
// (nil on the last page).
type PageFunc[T any] func(ctx context.Context, cursor *string) ([]T, *string, error)

// All ranges over every item of a cursor listing, fetching a page at a time as the loop asks;
// an error ends it (yielded with a zero item). A cursor seen twice ends it too.
//
//	for file, err := range strata.All(ctx, sdk.ListFiles(100)) { if err != nil { ... }; ... }
func All[T any](ctx context.Context, fetch PageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var cursor *string
		seen := map[string]bool{}
		for {
			items, next, err := fetch(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == nil || *next == "" || seen[*next] {
				return
			}
			seen[*next] = true
			cursor = next
		}
	}
}
