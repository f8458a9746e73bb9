"""ST-SGN graph encoders, readouts, temporal reducers and the RelMat baseline. Implemented under issue #4."""
