package store

import (
	"encoding/binary"
	"hash/crc32"
)

// Every value a format-2 file stores (except the root's magic and version,
// kept readable by format-1 code) ends in a 4-byte checksum: CRC32C
// (Castagnoli, hardware-accelerated on amd64 and arm64) of the value's key
// followed by its payload, little-endian. Including the key catches a
// flipped bit in a key as well as in a value.
const crcLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum returns CRC32C(key || payload).
func checksum(key, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, payload)
}

// seal returns payload followed by its checksum under key. It appends to
// payload, so the caller must not reuse payload's backing array.
func seal(key, payload []byte) []byte {
	return binary.LittleEndian.AppendUint32(payload, checksum(key, payload))
}

// sealCopy is seal on a fresh copy of payload.
func sealCopy(key, payload []byte) []byte {
	b := make([]byte, len(payload), len(payload)+crcLen)
	copy(b, payload)
	return seal(key, b)
}

// unseal verifies a sealed value and returns its payload (aliasing v). ok
// is false when v is too short or its checksum does not match.
func unseal(key, v []byte) (payload []byte, ok bool) {
	if len(v) < crcLen {
		return nil, false
	}
	p := v[:len(v)-crcLen]
	return p, binary.LittleEndian.Uint32(v[len(p):]) == checksum(key, p)
}
