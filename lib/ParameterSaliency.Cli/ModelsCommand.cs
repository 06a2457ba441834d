using System.CommandLine;
using ParameterSaliency.Models;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency models</c>: the architectures the library builds by name, with their filter counts.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the architectures the library builds by name (torchvision names and parameter order) with their conv filter counts.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"{"architecture",-16} {"filters",8} {"input",7}  description");
            foreach (var architecture in Architectures.All)
                Console.WriteLine($"{architecture.Name,-16} {architecture.FilterCount(),8:N0} {architecture.InputSize,7}  {architecture.Description}");
            Console.WriteLine("Filters: output channels of all 4-D parameters, the length of a filter-wise profile s. The paper's ImageNet models: resnet50, densenet121, vgg19, inception_v3.");
            return 0;
        });
        return command;
    }
}
