"""The seed document's image + text fusion model, and its tiny twin used for the committed fixtures.

MultimodalModel is the model of the project's seed document (an overview of multimodal models), unchanged in structure:
    resnet    = nn.Sequential(*list(resnet18().children())[:-1])  (fc dropped; children renamed 0..8)
    embedding = nn.Embedding(10000, 300)
    lstm      = nn.LSTM(300, 256, batch_first=True)
    fc        = nn.Linear(256 + 512, num_classes)
    forward(image [N,3,H,W], text [N,T] int64) -> logits [N,num_classes]
        = fc(cat(resnet(image).view(N, -1), lstm(embedding(text))[0][:, -1, :]))
Its state_dict has 127 keys (resnet.* 122, embedding.weight, lstm.* 4, fc.weight, fc.bias).

Differences from the seed, none of which changes a state_dict key or a forward result:
  * `pretrained` defaults to False and nothing is downloaded unless it is True;
  * the sizes are parameters, so that tiny_multimodal() builds the same code with small widths.

tiny_multimodal() is that same class with a hand-built torchvision-style ResNet-18 (torchvision's
BasicBlock, layer widths 8,16,32,64), vocabulary 50, embedding 12, LSTM hidden 16, 5 classes:
the same 127 keys in the same order, about 181k parameters.
"""

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, conv1x1


class MultimodalModel(nn.Module):
    """The seed's fusion model. image [N,3,H,W] float32, text [N,T] int64 -> logits [N,num_classes]."""

    def __init__(self, num_classes, pretrained=False, backbone=None, num_embeddings=10000,
                 embedding_dim=300, hidden_size=256, image_features=512):
        super().__init__()
        if backbone is None:
            weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1 if pretrained else None
            backbone = torchvision.models.resnet18(weights=weights)
        # drop the final fully connected layer, exactly as the seed does: children become resnet.0 .. resnet.8
        self.resnet = nn.Sequential(*list(backbone.children())[:-1])
        for param in self.resnet.parameters():
            param.requires_grad = False
        self.embedding = nn.Embedding(num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        self.lstm = nn.LSTM(input_size=embedding_dim, hidden_size=hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size + image_features, num_classes)

    def image_features(self, image):
        """[N,3,H,W] -> [N,C] (after avgpool and flatten)."""
        f = self.resnet(image)
        return f.view(f.size(0), -1)

    def text_features(self, text):
        """[N,T] int64 -> (lstm_out [N,T,H], (h [1,N,H], c [1,N,H]))."""
        return self.lstm(self.embedding(text))

    def forward(self, image, text):
        image_features = self.image_features(image)
        lstm_out, _ = self.text_features(text)
        text_features = lstm_out[:, -1, :]
        combined_features = torch.cat((image_features, text_features), dim=1)
        return self.fc(combined_features)


class TinyResNet(nn.Module):
    """torchvision's ResNet-18 layout (same attribute names and child order) with configurable widths.

    torchvision's ResNet hard-codes the widths 64,128,256,512, so this re-declares the same modules
    with torchvision's own BasicBlock; the initialisation copies torchvision's (kaiming_normal_, fan_out).
    """

    def __init__(self, widths=(8, 16, 32, 64), layers=(2, 2, 2, 2), num_classes=1000):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], layers[0], 1)
        self.layer2 = self._make_layer(widths[1], layers[1], 2)
        self.layer3 = self._make_layer(widths[2], layers[2], 2)
        self.layer4 = self._make_layer(widths[3], layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def tiny_multimodal(num_classes=5, vocab=50, embedding_dim=12, hidden_size=16, widths=(8, 16, 32, 64)):
    """The tiny fusion model of the fixtures: same class, same 127 keys, small sizes."""
    return MultimodalModel(num_classes, backbone=TinyResNet(widths), num_embeddings=vocab,
                           embedding_dim=embedding_dim, hidden_size=hidden_size, image_features=widths[3])
