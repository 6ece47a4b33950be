package watchdog

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// kiteLog logs with the kite's and its instance's names. It holds no
// zap.Logger of its own: Logger.With copies the encoder and a buffer for
// every kite (about 1.5 KB each, measured at 5000 kites), and the fields
// are added only to what is logged.
type kiteLog struct {
	log            *zap.Logger
	kite, instance string
}

func (k kiteLog) Debug(msg string, fields ...zap.Field) { k.write(zapcore.DebugLevel, msg, fields) }
func (k kiteLog) Info(msg string, fields ...zap.Field)  { k.write(zapcore.InfoLevel, msg, fields) }
func (k kiteLog) Warn(msg string, fields ...zap.Field)  { k.write(zapcore.WarnLevel, msg, fields) }

func (k kiteLog) write(lvl zapcore.Level, msg string, fields []zap.Field) {
	ce := k.log.Check(lvl, msg)
	if ce == nil {
		return
	}
	all := make([]zap.Field, 0, len(fields)+2)
	all = append(all, zap.String("kite", k.kite), zap.String("pagekite", k.instance))
	ce.Write(append(all, fields...)...)
}
