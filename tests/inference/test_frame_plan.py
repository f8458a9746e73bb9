"""The decode-once plan: distinct clips, crops, the union of frames, clip assembly."""
import numpy as np
import pytest

from sgfb.inference.frame_plan import ClipAssembler, plan_frames


def test_clips_shared_by_views_and_timeline_are_computed_once_with_the_views_crops():
    views = np.array([[0, 2, 4], [6, 8, 9]])
    timeline = np.array([[0, 2, 4], [3, 5, 7], [0, 2, 4], [6, 8, 9]])
    plan = plan_frames(10, np.array([0, 5, 5, 9]), views, 3, timeline)
    assert plan.clips.tolist() == [[0, 2, 4], [3, 5, 7], [6, 8, 9]]   # by last frame
    assert plan.clip_crops.tolist() == [3, 1, 3]
    assert plan.view_clips.tolist() == [0, 2]
    assert plan.timeline_clips.tolist() == [0, 1, 0, 2]
    assert [plan.centre_crop(c) for c in range(3)] == [1, 0, 1]
    assert plan.graph_frames.tolist() == [0, 5, 9]
    assert plan.frames.tolist() == [0, 2, 3, 4, 5, 6, 7, 8, 9]


def test_annotating_needs_every_frame_and_graphs_only_models_need_no_clips():
    plan = plan_frames(6, np.array([0, 3]), annotate=True)
    assert plan.frames.tolist() == list(range(6)) and len(plan.clips) == 0
    assert plan_frames(6, np.array([0, 3])).frames.tolist() == [0, 3]


def test_a_planned_frame_outside_the_video_is_refused():
    with pytest.raises(IndexError, match="outside the video's 4 frames"):
        plan_frames(4, np.array([0]), np.array([[1, 4]]), 1)


def test_clips_are_handed_over_when_complete_and_frames_dropped_when_no_clip_needs_them():
    views = np.array([[0, 2, 4], [2, 4, 4], [5, 6, 7]])   # a clamped clip repeats its last frame
    plan = plan_frames(8, np.array([1]), views, 1)
    assembler = ClipAssembler(plan)
    handed, held = [], []
    for index in plan.frames:
        if assembler.wants(int(index)):
            for row, frames in assembler.add(int(index), np.full(2, index)):
                handed.append((plan.clips[row].tolist(), frames[:, 0].tolist()))
        held.append(assembler.held)
    assert handed == [([0, 2, 4], [0, 2, 4]), ([2, 4, 4], [2, 4, 4]), ([5, 6, 7], [5, 6, 7])]
    assert assembler.complete
    # frames 0..7 (1 is only a graph frame): 0 and 2, 4 are dropped once both clips are done
    assert held == [1, 1, 2, 0, 1, 2, 0]
