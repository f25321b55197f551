"""The city's published targets the reform is measured against, with their source.

Chongqing's report of 22 January 2026 (重庆日报, 2026-01-23, 《大城“智”治 数字重庆基本能力总体
形成》, reprinted by 新华网): 87 "one thing, one go" scenarios cut materials by 53 % and time by
62 % on average (平均减材料53%、减时间62%); the newborn bundle went from 80 days to 5 (相关事项
办理时间从80天缩减至5天). The text is kept in shared/seed of the project's steering repo.
"""

from pydantic import BaseModel

from catalog.models import Source


class ReformTargets(BaseModel):
    material_reduction: float  # 1 - materials asked / one by one
    time_reduction: float  # 1 - actual days / one-by-one days
    newborn_days_before: float
    newborn_days_after: float
    source: Source


TARGETS = ReformTargets(
    material_reduction=0.53,
    time_reduction=0.62,
    newborn_days_before=80,
    newborn_days_after=5,
    source=Source(
        citation=(
            "重庆日报 2026-01-23《大城“智”治 数字重庆基本能力总体形成》：87个“一件事一次办”场景，"
            "企业群众办事平均减材料53%、减时间62%；新生儿出生一件事 80天缩减至5天"
        )
    ),
)
