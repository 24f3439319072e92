package http1

import (
	"math"

	"github.com/herald-gateway/herald/upstream"
)

// page is Nacos's Page: one page of a list and where it stands in it.
type page[T any] struct {
	TotalCount     int `json:"totalCount"`
	PageNumber     int `json:"pageNumber"`
	PagesAvailable int `json:"pagesAvailable"`
	PageItems      []T `json:"pageItems"`
}

// newPage is page pageNo (of size items each) of total items, with room
// for n.
func newPage[T any](total, pageNo, size, n int) page[T] {
	return page[T]{TotalCount: total, PageNumber: pageNo, PagesAvailable: (total + size - 1) / size, PageItems: make([]T, 0, n)}
}

// paging is how a list endpoint pages: its default page size and the
// largest it serves (a larger one asked for is served at that size).
type paging struct{ size, max int64 }

// of reads pageNo (from 1) and pageSize.
func (g paging) of(p params) (pageNo, size int, err error) {
	no, err := p.integer("pageNo", 1, 1, math.MaxInt32)
	if err != nil {
		return 0, 0, err
	}
	sz, err := p.integer("pageSize", g.size, 1, math.MaxInt32)
	if err != nil {
		return 0, 0, err
	}
	return int(no), int(min(sz, g.max)), nil
}

// nacosTenant is a namespace as Nacos 1.x and 2.x store it in what they
// answer: the public namespace is "".
func nacosTenant(ns string) string {
	if ns == upstream.PublicNamespace {
		return ""
	}
	return ns
}
