package ingest

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCaptureSample measures capture + sampling per decoded frame: a
// file read as fast as it decodes, sampled from 30 to 5 fps, the analysed
// frames cloned and queued. It reports the decoded frames per second and the
// ratio to ffmpeg's own decode rate of the same file (ffmpeg -benchmark
// -i f.mp4 -f null -), which has no BGR conversion and no sampling.
func BenchmarkCaptureSample(b *testing.B) {
	for _, size := range []struct {
		w, h   int
		frames int
	}{{320, 240, 900}, {1280, 720, 300}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			video := makeVideo(b, "bench.mp4", size.w, size.h, 30, float64(size.frames)/30)
			ffRate := ffmpegDecodeRate(b, video, size.frames)
			b.ResetTimer()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				frames, err, _ := runSource(context.Background(), b, Config{ID: "b", URL: video, FPS: 5, QueueSize: 4})
				total += time.Since(start)
				if err != nil || len(frames) != size.frames/6 {
					b.Fatalf("%d analysed frames, err %v", len(frames), err)
				}
			}
			perFrame := total / time.Duration(b.N*size.frames)
			rate := float64(time.Second) / float64(perFrame)
			b.ReportMetric(float64(perFrame.Nanoseconds()), "ns/frame")
			b.ReportMetric(rate, "frames/s")
			b.ReportMetric(ffRate, "ffmpeg-frames/s")
			b.ReportMetric(rate/ffRate, "ratio")
		})
	}
}

var rtimeRe = regexp.MustCompile(`rtime=([0-9.]+)s`)

// ffmpegDecodeRate returns ffmpeg's decode rate of video in frames per
// second of wall time, best of three runs.
func ffmpegDecodeRate(b *testing.B, video string, frames int) float64 {
	best := 0.0
	for i := 0; i < 3; i++ {
		out, err := exec.Command("ffmpeg", "-hide_banner", "-benchmark", "-i", video, "-f", "null", "-").CombinedOutput()
		if err != nil {
			b.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		m := rtimeRe.FindSubmatch(out)
		if m == nil {
			b.Fatalf("no rtime in ffmpeg -benchmark output:\n%s", out)
		}
		s, _ := strconv.ParseFloat(string(m[1]), 64)
		if r := float64(frames) / s; r > best {
			best = r
		}
	}
	return best
}
