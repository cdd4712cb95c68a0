# One image for every process of the platform; the command picks the service.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PMI_ENV=production
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pmi_common ./pmi_common
COPY services ./services
COPY gateway ./gateway
COPY egress ./egress
COPY pmi_tools ./pmi_tools
RUN pip install 'setuptools<82' wheel && pip install .
USER nobody
CMD ["python", "-m", "pmi_common.runner", "gateway"]
