package ingest

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCaptureSample measures capture + sampling per decoded frame: a
// file read as fast as it decodes, sampled from 30 to 5 fps, the analysed
// frames converted to BGR, cloned and queued. It is compared with ffmpeg
// decoding the same file (ffmpeg -benchmark -i f.mp4 -f null -), run
// interleaved with ours so that both see the same load on a shared machine:
//
//	frames/s, ffmpeg-frames/s, ratio: best wall-clock rate of each;
//	cpu-us/frame, ffmpeg-cpu-us/frame, cpu-ratio: user+system CPU per frame
//	(ffmpeg's cost over ours: above 1 means ingest costs less per frame).
func BenchmarkCaptureSample(b *testing.B) {
	for _, size := range []struct {
		w, h   int
		frames int
	}{{320, 240, 900}, {1280, 720, 300}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			video := makeVideo(b, "bench.mp4", size.w, size.h, 30, float64(size.frames)/30)
			var best, ffBest, cpu, ffCPU float64
			ffCPU = 1e18
			cpu = 1e18
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				u0 := cpuTime()
				start := time.Now()
				frames, err, _ := runSource(context.Background(), b, Config{ID: "b", URL: video, FPS: 5, QueueSize: 4})
				wall := time.Since(start)
				used := cpuTime() - u0
				if err != nil || len(frames) != size.frames/6 {
					b.Fatalf("%d analysed frames, err %v", len(frames), err)
				}
				best = max(best, float64(size.frames)/wall.Seconds())
				cpu = min(cpu, used.Seconds()*1e6/float64(size.frames))
				b.StopTimer()
				r, c := ffmpegDecode(b, video, size.frames)
				ffBest, ffCPU = max(ffBest, r), min(ffCPU, c)
				b.StartTimer()
			}
			b.ReportMetric(best, "frames/s")
			b.ReportMetric(ffBest, "ffmpeg-frames/s")
			b.ReportMetric(best/ffBest, "ratio")
			b.ReportMetric(cpu, "cpu-us/frame")
			b.ReportMetric(ffCPU, "ffmpeg-cpu-us/frame")
			b.ReportMetric(ffCPU/cpu, "cpu-ratio")
		})
	}
}

// cpuTime is the user plus system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var benchRe = regexp.MustCompile(`utime=([0-9.]+)s stime=([0-9.]+)s rtime=([0-9.]+)s`)

// ffmpegDecode returns ffmpeg's decode rate of video in frames per second
// of wall time and its CPU microseconds per frame.
func ffmpegDecode(b *testing.B, video string, frames int) (rate, cpuUS float64) {
	out, err := exec.Command("ffmpeg", "-hide_banner", "-benchmark", "-i", video, "-f", "null", "-").CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	m := benchRe.FindSubmatch(out)
	if m == nil {
		b.Fatalf("no times in ffmpeg -benchmark output:\n%s", out)
	}
	u, _ := strconv.ParseFloat(string(m[1]), 64)
	s, _ := strconv.ParseFloat(string(m[2]), 64)
	r, _ := strconv.ParseFloat(string(m[3]), 64)
	return float64(frames) / r, (u + s) * 1e6 / float64(frames)
}
