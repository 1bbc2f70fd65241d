#include "train/trainers/xseg/xseg_apply.h"

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "dataset/imagefolder.h"
#include "media/image_io.h"
#include "train/trainers/xseg/xseg_data.h"
#include "train/trainers/xseg/xseg_model.h"

namespace wf::xseg {

XSegApplySummary apply_xseg(const XSegApplyOptions& options, core::EventSink* events) {
  int resolution = 0;
  nn::Unet model = load_xseg_model(options.model, resolution);
  const torch::Device device(options.device);
  model->to(device);
  auto records = dataset::read_records(options.dataset);
  const core::ProgressMeter meter({"apply_xseg", 1, 1}, static_cast<std::int64_t>(records.size()));
  const torch::NoGradGuard no_grad;
  XSegApplySummary summary;
  cv::Mat previous;  // smoothed probabilities of the previous frame, at crop size
  const dataset::FaceRecord* previous_record = nullptr;
  // No mask is written until one holds a face: a model that masks nothing is refused with every mask on disk as
  // it was. The empty ones before the first face are only remembered (index, size), then written.
  bool any_face = false;
  std::vector<std::pair<std::size_t, cv::Size>> empty_unwritten;
  auto write_mask = [&](std::size_t i, const cv::Mat& mask) {
    media::write_image(options.dataset / records[i].mask_file_name(), mask);
    records[i].mask_origin = dataset::MaskOrigin::xseg;
  };
  for (std::size_t first = 0; first < records.size(); first += static_cast<std::size_t>(options.batch_size)) {
    const std::size_t end = std::min(records.size(), first + static_cast<std::size_t>(options.batch_size));
    std::vector<cv::Mat> crops, inputs;
    for (std::size_t i = first; i < end; ++i) {
      crops.push_back(media::read_image(options.dataset / records[i].file_name()));
      cv::Mat small;
      cv::resize(crops.back(), small, {resolution, resolution}, 0, 0, cv::INTER_AREA);
      inputs.push_back(small);
    }
    const at::Tensor probabilities = model->forward(to_input(inputs).to(device)).sigmoid().cpu().contiguous();
    for (std::size_t i = first; i < end; ++i) {
      auto& record = records[i];
      const cv::Mat crop = crops[i - first];
      const cv::Mat predicted(resolution, resolution, CV_32F,
                              probabilities[static_cast<int64_t>(i - first)][0].data_ptr<float>());
      cv::Mat p;  // its own buffer: it outlives this batch's tensor as `previous`
      cv::resize(predicted, p, crop.size(), 0, 0, cv::INTER_LINEAR);
      const bool next_frame = previous_record && previous_record->source == record.source &&
                              record.frame_index - previous_record->frame_index == 1;
      if (next_frame && options.smoothing > 0) cv::addWeighted(p, 1 - options.smoothing, previous, options.smoothing, 0, p);
      previous = p;
      previous_record = &record;
      if (record.mask_origin == dataset::MaskOrigin::painted) {
        ++summary.painted_kept;
        continue;
      }
      cv::Mat mask;
      cv::threshold(p, mask, options.threshold, 255, cv::THRESH_BINARY);
      mask.convertTo(mask, CV_8U);
      ++summary.masks;
      if (events) events->emit(meter.step(static_cast<std::int64_t>(i + 1), record.id));
      if (!any_face && cv::countNonZero(mask) == 0) {
        empty_unwritten.emplace_back(i, mask.size());
        continue;
      }
      if (!any_face) {
        any_face = true;
        for (const auto& [j, size] : empty_unwritten) write_mask(j, cv::Mat::zeros(size, CV_8U));
      }
      const double sigma = options.feather * crop.cols;
      if (sigma > 0) cv::GaussianBlur(mask, mask, {0, 0}, sigma);
      write_mask(i, mask);
    }
  }
  if (!any_face && summary.masks > 0) {
    throw Error(ErrorCode::invalid_input,
                "the XSeg model finds no face in any of the " + std::to_string(summary.masks) +
                    " faces: every mask it makes is empty (the dataset's masks are left as they were)",
                options.model,
                "train XSeg for more epochs or at a higher resolution (pipeline settings xseg.epochs and "
                "xseg.resolution), or paint a few masks for it to learn from");
  }
  dataset::rewrite_records(options.dataset, records);
  return summary;
}

}  // namespace wf::xseg
