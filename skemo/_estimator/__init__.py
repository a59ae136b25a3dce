"""The concerns of :class:`skemo.base.EmotionClassifierBase`, one mixin per module.

Read :mod:`skemo.base` first: it composes these mixins into the base class
and lists what each module holds. They are not meant to be used apart from it.
"""
