#pragma once
// The review report (docs/formats/review-report.md, validated by docs/formats/review-report.schema.json):
// per frame the scores before and after, the reasons, every attempt and the one chosen, the thumbnails.

#include <nlohmann/json.hpp>

#include "review/review.h"
#include "swap/swap_report.h"

namespace wf::review {

inline constexpr int kReviewReportVersion = 1;

nlohmann::json review_report_json(const ReviewOptions& options, const ReviewSummary& summary,
                                  const swap::SwapReport& swapped);

}  // namespace wf::review
