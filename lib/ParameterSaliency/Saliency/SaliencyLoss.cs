using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// L(x, y): cross-entropy of the logits against the true label, evaluated in float64. For a
/// confidently classified image ∂L/∂logit_y = p_y − 1 is tiny and float32 loses most of its digits
/// to cancellation (profiles then scatter by 1e-3 relative between libtorch versions); computing
/// the softmax in float64 keeps every profile within float32 rounding of the exact one. The
/// gradient flows back into the model in its own precision.
/// </summary>
internal static class SaliencyLoss
{
    /// <summary>Mean over the batch (a batch of one: the sample's loss), or the sum when <paramref name="sum"/>.</summary>
    public static Tensor Of(Tensor logits, Tensor labels, bool sum = false) =>
        nn.functional.cross_entropy(logits.to(ScalarType.Float64), labels, reduction: sum ? nn.Reduction.Sum : nn.Reduction.Mean);
}
