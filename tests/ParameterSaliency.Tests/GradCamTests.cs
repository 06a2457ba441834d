using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Grad-CAM on a layer given by name, through a forward hook: a closed form, another architecture, and clear refusals.</summary>
public class GradCamTests
{
    /// <summary>conv (named "features", padding 1) → in-place ReLU → global average pool → linear: small enough for Grad-CAM in closed form.</summary>
    sealed class ConvReluPoolHead : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> features = nn.Conv2d(1, 4, 3, padding: 1, dtype: ScalarType.Float64);
        readonly nn.Module<Tensor, Tensor> relu = nn.ReLU(inplace: true);
        readonly nn.Module<Tensor, Tensor> head = nn.Linear(4, 3, dtype: ScalarType.Float64);

        public ConvReluPoolHead() : base(nameof(ConvReluPoolHead)) => RegisterComponents();

        public override Tensor forward(Tensor input) =>
            head.call(nn.functional.adaptive_avg_pool2d(relu.call(features.call(input)), 1).flatten(1));
    }

    [Fact]
    public void Grad_CAM_on_a_named_layer_equals_its_closed_form_and_sees_the_values_before_an_in_place_ReLU()
    {
        // f_c = Σ_k W[c,k] · mean_ij ReLU(A_k(ij)) + b_c, so ∂f_c/∂A_k(ij) = W[c,k]/(hw) · [A_k(ij) > 0] and
        // α_k = W[c,k]/(hw) · (positive positions of A_k)/(hw); the map is ReLU(Σ_k α_k A_k), A before the in-place ReLU.
        using var model = Runtime.GlobalRandom.Seeded(41, () => new ConvReluPoolHead());
        model.eval();
        var image = Runtime.GlobalRandom.Seeded(42, () => randn(1, 6, 6, dtype: ScalarType.Float64));
        const int target = 2;
        var heatmap = new GradCam(model, "features").Explain(image, Normalization.FashionMnist, target);

        var named = model.named_modules().ToDictionary(m => m.name, m => m.module);
        Tensor A;
        using (no_grad()) A = ((nn.Module<Tensor, Tensor>)named["features"]).call(image.unsqueeze(0))[0]; // [4, 6, 6], before any ReLU
        var weight = model.named_parameters().First(p => p.name == "head.weight").parameter;
        var expected = new double[36];
        for (int k = 0; k < 4; k++)
        {
            double[] a = A[k].reshape(-1).data<double>().ToArray();
            double alpha = weight[target, k].item<double>() / 36 * a.Count(v => v > 0) / 36.0;
            for (int p = 0; p < 36; p++) expected[p] += alpha * a[p];
        }
        Assert.Contains(A.reshape(-1).data<double>().ToArray(), v => v < 0); // the ReLU changes A: the test would notice post-ReLU values
        Assert.True(expected.Max() > 0, "the closed-form map is zero everywhere: the comparison would prove little");
        Assert.Equal(target, heatmap.Label);
        Assert.Equal("Grad-CAM (features)", heatmap.Method);
        for (int p = 0; p < 36; p++) Assert.Equal(Math.Max(0, expected[p]), heatmap.Raw[p], 5);
    }

    [Fact]
    public void Grad_CAM_on_a_DenseNet_block_matches_gradients_taken_another_way()
    {
        // Another architecture, a nested name. Independent computation: a hook adds δ = 0 (requiring grad) to the
        // block's output, so ∂f_c/∂δ = ∂f_c/∂A; two channels' α are also checked by finite differences in float64.
        using var model = Runtime.GlobalRandom.Seeded(43, () => new DenseNet(5, 3));
        model.to(ScalarType.Float64).eval();
        var image = Runtime.GlobalRandom.Seeded(44, () => randn(3, 64, 64, dtype: ScalarType.Float64));
        var cam = new GradCam(model, "features.denseblock3");
        // An untrained model: the first class whose map is not zero everywhere.
        var heatmap = Enumerable.Range(0, 5).Select(c => cam.Explain(image, Normalization.Preset("imagenet"), c)).First(h => h.Raw.Max() > 0);

        var block = (nn.Module<Tensor, Tensor>)model.named_modules().First(m => m.name == "features.denseblock3").module;
        Tensor? activation = null, delta = null;
        double shift = 0;
        int shiftedChannel = -1;
        using var hook = new HookScope(block.register_forward_hook((m, input, output) =>
        {
            activation = output.detach().clone().DetachFromDisposeScope();
            delta = zeros_like(output).requires_grad_(true).DetachFromDisposeScope();
            var shifted = output + delta;
            using Scalar shiftBy = shift;
            if (shiftedChannel >= 0) shifted = shifted + nn.functional.one_hot(tensor((long)shiftedChannel), output.shape[1]).to(output.dtype).reshape(1, -1, 1, 1) * shiftBy;
            return shifted;
        }));
        var logits = model.call(image.unsqueeze(0));
        int c = heatmap.Label;
        var gradient = autograd.grad([logits[0, c]], [delta!])[0][0]; // [K, h, w]
        var alpha = gradient.mean([1, 2]);
        var map = nn.functional.relu((alpha.reshape(-1, 1, 1) * activation![0]).sum(0, keepdim: true)).unsqueeze(0);
        var expected = nn.functional.interpolate(map, [64, 64], mode: InterpolationMode.Bilinear, align_corners: false).reshape(-1).data<double>().ToArray();
        Assert.True(expected.Max() > 0, "the map is zero everywhere: the comparison would prove little");
        double scale = expected.Max();
        for (int p = 0; p < expected.Length; p += 37) Assert.True(Math.Abs(expected[p] - heatmap.Raw[p]) <= 1e-4 * scale, $"pixel {p}: {expected[p]} vs {heatmap.Raw[p]}");

        long hw = activation.shape[2] * activation.shape[3];
        foreach (int k in new[] { 0, 700 })
        {
            double Logit(double s)
            {
                shiftedChannel = k;
                shift = s;
                using var noGrad = no_grad();
                return model.call(image.unsqueeze(0))[0, c].item<double>();
            }
            const double epsilon = 1e-7; // small: a uniform shift of a whole channel may carry some entries across a ReLU's kink
            double numeric = (Logit(epsilon) - Logit(-epsilon)) / (2 * epsilon) / hw; // a uniform shift of channel k: Σ_ij ∂f/∂A_k(ij), over hw
            Assert.True(Math.Abs(numeric - alpha[k].item<double>()) <= 1e-5 * Math.Abs(numeric), $"α_{k}: finite difference {numeric}, autograd {alpha[k].item<double>()}");
        }
    }

    [Fact]
    public void Grad_CAM_on_a_ViT_reads_its_patch_tokens_as_a_grid()
    {
        // Default layer: the last block's ln_1. Independent computation: a hook adds δ = 0 to its tokens [1, 1 + g², D];
        // α_d is the mean of ∂f_c/∂δ over the g² patch tokens (the class token left out), and patch (i, j) is token 1 + i·g + j.
        using var model = Runtime.GlobalRandom.Seeded(47, () => new VisionTransformer(new VitConfig(16, 4, 2, 2, 8, 16, Classes: 3, InChannels: 1)));
        model.to(ScalarType.Float64).eval();
        var image = Runtime.GlobalRandom.Seeded(48, () => randn(1, 16, 16, dtype: ScalarType.Float64));
        var cam = new GradCam(model);
        var heatmap = Enumerable.Range(0, 3).Select(c => cam.Explain(image, Normalization.FashionMnist, c)).First(h => h.Raw.Max() > 0);
        Assert.Equal("encoder.layers.encoder_layer_1.ln_1", cam.Layer);

        var norm = (nn.Module<Tensor, Tensor>)model.named_modules().First(m => m.name == cam.Layer).module;
        Tensor? tokens = null, delta = null;
        using (new HookScope(norm.register_forward_hook((m, input, output) =>
               {
                   tokens = output.detach().clone().DetachFromDisposeScope();
                   delta = zeros_like(output).requires_grad_(true).DetachFromDisposeScope();
                   return output + delta;
               })))
        {
            var logits = model.call(image.unsqueeze(0));
            var gradient = autograd.grad([logits[0, heatmap.Label]], [delta!])[0][0]; // [17, D]
            const int side = 4;
            var alpha = gradient.narrow(0, 1, side * side).mean([0]);
            var map = zeros(1, 1, side, side, dtype: ScalarType.Float64);
            for (int i = 0; i < side; i++)
                for (int j = 0; j < side; j++)
                    map[0, 0, i, j] = nn.functional.relu((alpha * tokens![0, 1 + i * side + j]).sum());
            var expected = nn.functional.interpolate(map, [16, 16], mode: InterpolationMode.Bilinear, align_corners: false).reshape(-1).data<double>().ToArray();
            Assert.True(expected.Max() > 0 && expected.Min() < expected.Max(), "the map is flat: the comparison would prove little");
            for (int p = 0; p < expected.Length; p++) Assert.True(Math.Abs(expected[p] - heatmap.Raw[p]) <= 1e-5 * expected.Max(), $"pixel {p}: {expected[p]} vs {heatmap.Raw[p]}");
        }
    }

    [Fact]
    public void Without_a_name_Grad_CAM_takes_the_last_spatial_layer_and_wrong_names_are_refused()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(inChannels: 1, width: 8, numClasses: 10), seed: 45);
        var image = Runtime.GlobalRandom.Seeded(46, () => randn(1, 12, 12));
        var automatic = new GradCam(model);
        var chosen = automatic.Explain(image, Normalization.FashionMnist);
        Assert.Equal("layer4", automatic.Layer);
        var named = new GradCam(model, "layer4").Explain(image, Normalization.FashionMnist);
        Assert.Equal(named.Raw, chosen.Raw);
        var error = Assert.Throws<ArgumentException>(() => new GradCam(model, "layer5"));
        Assert.Contains("layer4", error.Message); // it lists the layers there are
        Assert.Throws<InvalidOperationException>(() => new GradCam(model, "fc").Explain(image, Normalization.FashionMnist)); // a 2-D output
    }

    sealed class HookScope(nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover remover) : IDisposable
    {
        public void Dispose() => remover.remove();
    }
}
