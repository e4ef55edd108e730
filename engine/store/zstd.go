package store

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	pzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is parquet-go's zstd codec (same level, no CRC, empty input as
// a frame) with a 1 MiB window and one encoder shared by every writer.
// parquet-go's keeps encoders in a pool the GC empties, each with the
// default 8 MiB window: a 16 MiB history allocated again after GC cycles
// (16 MB of the 158 MB live heap at the peak of the 5M corpus, issue 14).
// Pages are about pageBufferBytes (64 KiB), so a page up to
// 1 MiB compresses to the same bytes (TestZstdSameBytes); a larger one
// only finds matches within 1 MiB. Decoding is parquet-go's. The encoder
// has one block encoder, not one per CPU: Run.Write encodes one page at a
// time under its lock, and each block encoder holds about 3.4 MB (its 2 MiB
// history and match tables; 3.4 MB less peak heap on the 5M corpus).
//
// The level stays parquet-go's, SpeedDefault: on these pages, long runs of
// near-repeats, a faster level finds shorter matches and so codes more
// sequences. Measured with BenchmarkRunWrite under cachegrind (the tables
// of the 5M corpus's first million packets, 307,853 rows, PLAIN integers
// then): zstd 295 M instructions a run at SpeedDefault, 351 M at
// SpeedFastest with files 15 % larger (3.84 against 3.33 bytes a row),
// 494 M at SpeedBetterCompression (3.13). With the delta encodings
// (encoding.go): literals without Huffman coding
// (WithNoEntropyCompression) save 28 M of the run's 729 M for files 14 %
// larger; Snappy instead of zstd saved 77 M of 720 M for files 85 %
// larger (4.69 against 2.53 bytes a row, every integer delta-packed).
type zstdCodec struct {
	pzstd.Codec
	once sync.Once
	enc  *zstd.Encoder
}

// zstdWindowBytes is the encoder window: at least the largest page.
const zstdWindowBytes = 1 << 20

// Encode implements compress.Codec.
func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	c.once.Do(func() {
		e, err := zstd.NewWriter(nil,
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(pzstd.DefaultLevel),
			zstd.WithWindowSize(zstdWindowBytes),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			panic(err) // constant options: a programmer error
		}
		c.enc = e
	})
	return c.enc.EncodeAll(src, dst[:0]), nil
}

// CompressionCodec implements compress.Codec.
func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// partCodec compresses every part file.
var partCodec = &zstdCodec{}
