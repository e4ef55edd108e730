// Package oneway measures one-way delay and loss across capture points.
package oneway
