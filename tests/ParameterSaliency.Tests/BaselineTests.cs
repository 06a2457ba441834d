using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Tests;

/// <summary>Input-gradient and Grad-CAM baselines against independent computations.</summary>
public class BaselineTests
{
    // Width 8: with 4-channel convolutions libtorch's CPU kernels on our machines give input gradients
    // off by ~1e-3 relative even in float64 (see Runtime.CpuKernels); 8 and more are exact.
    static (ResNet Model, Tensor Image) Setup()
    {
        var model = TinyModels.Build(ResNetConfig.CifarResNet18(inChannels: 1, width: 8, numClasses: 10), seed: 31);
        model.to(ScalarType.Float64);
        var (images, _) = TinyModels.Inputs(1, 1, 12, 10, seed: 32);
        return (model, images[0].to(ScalarType.Float64));
    }

    [Fact]
    public void Input_gradient_matches_finite_differences_of_the_logit()
    {
        var (model, image) = Setup();
        using var _ = model;
        var heatmap = new InputGradient(model).Explain(image, Normalization.FashionMnist, target: 4);
        const double epsilon = 1e-6;
        double Logit(Tensor x)
        {
            using var noGrad = no_grad();
            return model.call(x.unsqueeze(0))[0, 4].item<double>();
        }
        for (int p = 0; p < 144; p += 13)
        {
            var step = zeros(144, ScalarType.Float64);
            step[p] = tensor(epsilon);
            double numeric = (Logit(image + step.reshape(1, 12, 12)) - Logit(image - step.reshape(1, 12, 12))) / (2 * epsilon);
            Assert.True(Math.Abs(numeric - heatmap.Gradient[p]) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), $"pixel {p}: {numeric} vs {heatmap.Gradient[p]}");
        }
    }

    [Fact]
    public void Grad_CAM_equals_the_closed_form_of_a_global_average_pool_head()
    {
        // With global average pooling and a linear head, ∂f_c/∂A_k(i, j) = W_fc[c, k] / (h·w) exactly,
        // so Grad-CAM = ReLU(Σ_k W_fc[c, k] / (h·w) · A_k), upsampled bilinearly.
        var (model, image) = Setup();
        using var _ = model;
        var heatmap = new GradCam(model, "layer4").Explain(image, Normalization.FashionMnist);
        using var noGrad = no_grad();
        int predicted = (int)model.call(image.unsqueeze(0)).argmax(1).item<long>();
        Assert.Equal(predicted, heatmap.Label);
        var features = model.Features(image.unsqueeze(0));
        long k = features.shape[1], h = features.shape[2], w = features.shape[3];
        var fc = model.named_parameters().First(p => p.name == "fc.weight").parameter;
        var cam = zeros(1, 1, h, w, ScalarType.Float64);
        for (long c = 0; c < k; c++)
        {
            using Scalar weight = fc[predicted, c].item<double>() / (h * w);
            cam += features[0, c] * weight;
        }
        var expected = nn.functional.interpolate(cam.clamp_min(Zero), [12, 12], mode: InterpolationMode.Bilinear, align_corners: false).reshape(-1).data<double>().ToArray();
        Assert.True(expected.Max() > 0, "the class map is zero everywhere: the comparison would prove little");
        for (int p = 0; p < 144; p++) Assert.Equal(expected[p], heatmap.Raw[p], 5);
        Assert.Equal(1f, heatmap.Heatmap.Max());
    }
}
